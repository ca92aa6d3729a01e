package dev.llmdispatch.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code llm-dispatch}: the command line for batch owners and on-call engineers. */
@Command(
        name = "llm-dispatch",
        mixinStandardHelpOptions = true,
        version = "llm-dispatch 0.1.0",
        description = "Submit batches of LLM jobs and work with llm-dispatch.",
        subcommands = {SubmitCommand.class, DlqCommand.class, StatusCommand.class, KeysCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
