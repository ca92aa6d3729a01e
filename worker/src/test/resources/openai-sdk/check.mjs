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
