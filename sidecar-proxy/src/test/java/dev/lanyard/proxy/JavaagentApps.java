package dev.lanyard.proxy;

import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireExtension;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A compat app (no Lanyard dependency) in its own JVM with the real javaagent jar. */
final class JavaagentApps {
  static final Path AGENT_JAR = Path.of(System.getProperty("lanyard.javaagent.jar",
      "../javaagent/target/lanyard-javaagent.jar")).toAbsolutePath();
  static final Path COMPAT = Path.of(System.getProperty("lanyard.compat.dir",
      "../compat-apps/target")).toAbsolutePath();

  private JavaagentApps() {}

  static JvmProcess.Builder compatApp(SpireExtension spire, String name, int gid, String app,
      String allowedPeers, String... args) {
    if (!Files.isRegularFile(AGENT_JAR)) {
      throw new IllegalStateException(AGENT_JAR + " is missing: run ./mvnw -pl javaagent -am package");
    }
    return JvmProcess.builder(name)
        .classpath(compatClasspath())
        .mainClass("dev.lanyard.compat." + app)
        .args(args)
        .gid(gid)
        .javaagent(AGENT_JAR)
        .env("SPIFFE_ENDPOINT_SOCKET", spire.cluster().workloadApiAddress())
        .env("LANYARD_ADMIN_ADDRESS", "127.0.0.1:" + FreePorts.next())
        .env("LANYARD_STARTUP", "wait=20s,then=fail")
        .env("LANYARD_ALLOWED_PEERS", allowedPeers);
  }

  private static String compatClasspath() {
    try {
      return COMPAT.resolve("classes") + ":" + Files.readString(COMPAT.resolve("classpath.txt")).trim();
    } catch (IOException e) {
      throw new UncheckedIOException("compat-apps not built: run ./mvnw -pl compat-apps package", e);
    }
  }
}
