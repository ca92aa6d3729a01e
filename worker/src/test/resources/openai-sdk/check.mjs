// Runs OpenAI's own Node SDK against a worker's /v1 API and prints what it saw, as one JSON line, for
// OpenAiSdkTest to check. Usage: node check.mjs <basic|emergency>; BASE_URL, KEY and TINY_KEY in the environment.
import OpenAI from 'openai';

const baseURL = process.env.BASE_URL;
const client = new OpenAI({ apiKey: process.env.KEY, baseURL, maxRetries: 0 });
const out = {};

function failure(e) {
  return { name: e.constructor.name, status: e.status, message: e.message, retryAfter: e.headers?.get?.('retry-after') ?? null };
}

async function attempt(call) {
  try {
    await call();
    return 'no error';
  } catch (e) {
    return failure(e);
  }
}

if (process.argv[2] === 'emergency') {
  out.emergency = await attempt(() => client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'anyone?' }] }));
} else {
  const chat = await client.chat.completions.create({ model: 'tier-2', messages: [{ role: 'user', content: 'hello there' }] });
  out.chat = { object: chat.object, model: chat.model, content: chat.choices[0].message.content, usage: chat.usage };

  const started = Date.now();
  const stream = await client.chat.completions.create({
    model: 'tier-2',
    messages: [{ role: 'user', content: 'tell me a story' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  const streamed = { arrivals: [], contentArrivals: [], text: '', finish: null, usage: null, objects: [], models: [] };
  for await (const chunk of stream) {
    const at = Date.now() - started;
    streamed.arrivals.push(at);
    if (!streamed.objects.includes(chunk.object)) streamed.objects.push(chunk.object);
    if (!streamed.models.includes(chunk.model)) streamed.models.push(chunk.model);
    const choice = chunk.choices[0];
    if (choice?.delta?.content) {
      streamed.text += choice.delta.content;
      streamed.contentArrivals.push(at);
    }
    if (choice?.finish_reason) streamed.finish = choice.finish_reason;
    if (chunk.usage) streamed.usage = chunk.usage;
  }
  out.stream = streamed;

  const embeddings = await client.embeddings.create({ model: 'auto', input: ['one', 'two', 'three'] });
  out.embeddings = {
    count: embeddings.data.length,
    indexes: embeddings.data.map((d) => d.index),
    dimensions: embeddings.data.map((d) => d.embedding.length),
    finite: embeddings.data.every((d) => Array.from(d.embedding).every(Number.isFinite)),
    model: embeddings.model,
  };

  const models = [];
  for await (const model of client.models.list()) models.push(model.id);
  out.models = models;

  out.badKey = await attempt(() => new OpenAI({ apiKey: 'sk-not-a-key', baseURL, maxRetries: 0 }).models.list());

  const tiny = new OpenAI({ apiKey: process.env.TINY_KEY, baseURL, maxRetries: 0 });
  const ask = () => tiny.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] });
  out.withinBudget = await attempt(ask);
  out.overBudget = await attempt(ask);
}
console.log(JSON.stringify(out));
