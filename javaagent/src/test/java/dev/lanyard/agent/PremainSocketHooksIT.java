package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.testkit.JvmProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With the plaintext upgrade on, premain puts the JDK socket hooks in without ByteBuddy's
 * {@code AgentBuilder} (about 970 classes, 1.7-2.5 s of a loaded machine before {@code main}):
 * read from the real JVM's {@code -Xlog:class+load} with each loading thread, the thread that runs
 * premain and then main loads no class of it, another thread does (the background start, which
 * may overlap premain's end), while the hooks are already in place before main (the
 * application's first bind is moved behind Lanyard's listener).
 */
class PremainSocketHooksIT {
  /** A class line of {@code -Xlog:class+load} decorated with {@code tid}: thread id, class. */
  private static final Pattern LOADED = Pattern.compile("\\[(\\d+)\\]\\s+(\\S+) source: ");
  private static final String AGENT_BUILDER = "net.bytebuddy.agent.builder.AgentBuilder$Default";

  @TempDir
  Path dir;

  @Test
  void theSocketHooksAreInBeforeMainAndByteBuddysAgentBuilderLoadsOnlyAfterIt() throws Exception {
    int port = freePort();
    Path log = dir.resolve("class-load.log");
    Path testClasses = Path.of(BindingMain.class.getProtectionDomain().getCodeSource()
        .getLocation().toURI());
    try (JvmProcess process = JvmProcess.builder("premain-socket-hooks")
        .javaagent(Mesh.AGENT_JAR)
        .jvmArg("-Xlog:class+load=info:file=" + log + ":tid")
        .classpath(testClasses)
        .mainClass(BindingMain.class.getName())
        .args(Integer.toString(port))
        // No SPIRE: the hooks need none until an upgraded connection arrives.
        .env("SPIFFE_ENDPOINT_SOCKET", "unix:" + dir.resolve("no-agent.sock"))
        .env("LANYARD_ADMIN_ADDRESS", "off")
        .env("LANYARD_UPGRADE_INBOUND", port + "=permissive")
        .env("LANYARD_UPGRADE_OUTBOUND", "8080=permissive")
        .start()) {
      process.awaitOutput("APP bound \\S+", Duration.ofSeconds(60));
      // ByteBuddy comes with the TLS hooks on the background thread: wait until it has.
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (!names(loaded(log)).contains(AGENT_BUILDER) && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
      String output = process.output();
      List<String[]> loaded = loaded(log);
      List<String> classes = names(loaded);
      int main = classes.indexOf(BindingMain.class.getName());

      assertThat(output).containsPattern("socket hooks for LANYARD_UPGRADE_INBOUND and"
          + " LANYARD_UPGRADE_OUTBOUND installed before main in \\d+ ms");
      assertThat(output).as("the application's bind was moved behind Lanyard's listener")
          .containsPattern("APP bound \\S*/127\\.0\\.0\\.1:(?!" + port + "\\b)\\d+");
      assertThat(main).as(output).isPositive();
      String mainThread = loaded.get(main)[0];
      List<String> onMainThread = loaded.stream().filter(line -> line[0].equals(mainThread))
          .map(line -> line[1]).collect(Collectors.toList());
      assertThat(onMainThread).as("loaded by premain and main (one thread)")
          .contains("dev.lanyard.agent.upgrade.hooks.HookingTransformer")
          .doesNotContain("net.bytebuddy.agent.builder.AgentBuilder", AGENT_BUILDER,
              "net.bytebuddy.asm.Advice", "net.bytebuddy.pool.TypePool");
      assertThat(onMainThread.indexOf("dev.lanyard.agent.upgrade.hooks.HookingTransformer"))
          .as("the socket hooks before main").isLessThan(onMainThread.indexOf(
              BindingMain.class.getName()));
      assertThat(loaded).as("ByteBuddy loaded in the background, by another thread")
          .anyMatch(line -> line[1].equals(AGENT_BUILDER) && !line[0].equals(mainThread));
    }
  }

  /** Each loaded class, in order, as {thread id, class name}. */
  private static List<String[]> loaded(Path log) throws IOException {
    if (!Files.exists(log)) {
      return List.of();
    }
    return Files.readAllLines(log).stream()
        .map(LOADED::matcher)
        .filter(Matcher::find)
        .map(matcher -> new String[] {matcher.group(1), matcher.group(2)})
        .collect(Collectors.toList());
  }

  private static List<String> names(List<String[]> loaded) {
    return loaded.stream().map(line -> line[1]).collect(Collectors.toList());
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** Binds the port it is given, says where it ended up, then idles until stopped. */
  public static final class BindingMain {
    private BindingMain() {}

    public static void main(String[] args) throws Exception {
      try (ServerSocket server = new ServerSocket()) {
        server.bind(new InetSocketAddress(Integer.parseInt(args[0])));
        System.out.println("APP bound " + server.getLocalSocketAddress());
        System.out.flush();
        Thread.sleep(Duration.ofMinutes(3).toMillis());
      }
    }
  }
}
