package dev.lanyard.webhook.cli;

import dev.lanyard.webhook.LanyardVersion;
import dev.lanyard.webhook.inject.InjectorConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code lanyard version}: this CLI's version and the images it injects. */
@Command(
    name = "version",
    mixinStandardHelpOptions = true,
    description = "Print the version and the images injection uses.")
final class VersionCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ConfigOption config;

  @Override
  public Integer call() {
    InjectorConfig injector = config.load();
    var out = spec.commandLine().getOut();
    out.println("lanyard " + LanyardVersion.current());
    out.println(
        "javaagent image: "
            + injector.javaagent().image()
            + " (delivery "
            + injector.javaagent().delivery().wireName()
            + ")");
    out.println("sidecar image:   " + injector.sidecar().image());
    out.println(
        "java:            "
            + System.getProperty("java.version")
            + " ("
            + System.getProperty("java.vendor")
            + ")");
    out.flush();
    return 0;
  }
}
