package dev.llmdispatch.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code llm-dispatch}: the command line for batch owners and on-call engineers. */
@Command(
        name = "llm-dispatch",
        mixinStandardHelpOptions = true,
        version = "llm-dispatch 0.1.0",
        description = "Submit batches of LLM jobs and work with llm-dispatch.",
        subcommands = {SubmitCommand.class, DlqCommand.class, StatusCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
