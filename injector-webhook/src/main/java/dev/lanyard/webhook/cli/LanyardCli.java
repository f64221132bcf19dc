package dev.lanyard.webhook.cli;

import dev.lanyard.webhook.LanyardVersion;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code bin/lanyard}: inject, check-inject, identities, audit, check, version. All injection goes
 * through the same PodInjector as the webhook.
 */
@Command(
    name = "lanyard",
    mixinStandardHelpOptions = true,
    versionProvider = LanyardCli.Version.class,
    description = "Lanyard: SPIFFE identity and mutual TLS for every workload in a namespace.",
    subcommands = {
      InjectCommand.class,
      CheckInjectCommand.class,
      IdentitiesCommand.class,
      AuditCommand.class,
      CheckCommand.class,
      VersionCommand.class,
      CommandLine.HelpCommand.class
    })
public final class LanyardCli {
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line (tests run it in-process). */
  public static CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(new LanyardCli());
    // -o JSON and -o json alike.
    commandLine.setCaseInsensitiveEnumValuesAllowed(true);
    // Errors that explain themselves (a bad manifest, a missing pod) print as one line, not a
    // trace.
    commandLine.setExecutionExceptionHandler(
        (e, cmd, parseResult) -> {
          if (e instanceof UserError) {
            cmd.getErr().println("lanyard " + cmd.getCommandName() + ": " + e.getMessage());
            return 1;
          }
          // Not the user's doing: say what broke, with the trace for the bug report.
          cmd.getErr().println("lanyard " + cmd.getCommandName() + " failed: " + e);
          e.printStackTrace(cmd.getErr());
          return 2;
        });
    return commandLine;
  }

  /** Picocli's {@code --version}. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"lanyard " + LanyardVersion.current()};
    }
  }
}
