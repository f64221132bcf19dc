package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.agent.Mesh.Workload;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 19, the binds the inbound hook cannot redirect (NIO2's {@code
 * AsynchronousServerSocketChannel}, Netty's native epoll transport and gRPC's shaded copy of it
 * when the application chooses epoll itself; a framework's own detection is steered to NIO, see
 * {@link NativeTransportSteeringIT}):
 * a {@code strict} port bound that way is refused before it serves plaintext (fail closed: the
 * application's bind throws with the reason and the fix); a {@code permissive} one binds, serves
 * plaintext, and Lanyard says so: one WARN line naming the port, the class and the fix, a count in
 * {@code lanyard_inbound_not_upgraded_binds_total{port,transport}}, and an {@code uncovered} entry
 * in {@code /identity}. A port the operator left off, bound the same way, gets none of these.
 */
class UnhookedServerBindIT {
  @RegisterExtension
  static final SpireExtension spire =
      SpireExtension.builder().svidTtl(Duration.ofMinutes(10)).build();

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "nio2, 5981, nio2, sun.nio.ch.UnixAsynchronousServerSocketChannelImpl,"
          + " NIO2 AsynchronousServerSocketChannel",
      "epoll, 5982, netty-epoll, io.netty.channel.epoll.EpollServerSocketChannel,"
          + " Netty's native epoll transport",
      "grpc-shaded-epoll, 5983, netty-epoll,"
          + " io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel,"
          + " Netty's native epoll transport"})
  void aPermissivePortBoundWhereTheHookCannotReachIsReportedAsNotUpgraded(String server, int gid,
      String transport, String serverClass, String described) throws Exception {
    Workload workload = Workload.register(spire.cluster(), gid, "/ns/shop/sa/" + server);
    workload.awaitSvid(spire.cluster());
    int permissive = FreePorts.next();
    int off = FreePorts.next();
    String admin = "127.0.0.1:" + FreePorts.next();
    try (JvmProcess process = JvmProcess.builder(server)
        .classpath(childClasspath())
        .mainClass(UnhookedBindServer.class.getName())
        .args(server, Integer.toString(permissive), Integer.toString(off))
        .env("SPIFFE_ENDPOINT_SOCKET", spire.cluster().workloadApiAddress())
        .env("LANYARD_STARTUP", "wait=20s,then=fail")
        .env("LANYARD_UPGRADE_INBOUND", permissive + "=permissive")
        .env("LANYARD_ADMIN_ADDRESS", admin)
        .gid(workload.gid()).javaagent(Mesh.AGENT_JAR)
        .start()) {
      process.awaitOutput("LISTENING transport=", Duration.ofSeconds(60));
      String warning = "lanyard: WARN port " + permissive + " is NOT upgraded to mTLS"
          + " (LANYARD_UPGRADE_INBOUND says permissive): " + serverClass + " binds it through "
          + described + ", which Lanyard's bind hook cannot put a listener in front of, so it"
          + " serves plaintext; use the JDK NIO transport";
      process.awaitOutput(Pattern.quote(warning), Duration.ofSeconds(10));

      assertThat(process.output().split(Pattern.quote(warning), -1)).as(process.output())
          .hasSize(2);
      assertThat(process.output()).as("the port left off is not reported")
          .doesNotContain("port " + off + " is NOT upgraded");
      String metrics = Admin.get(admin, "/metrics").body();
      assertThat(metrics).contains("lanyard_inbound_not_upgraded_binds_total{port=\"" + permissive
          + "\",transport=\"" + transport + "\"} 1.0")
          .doesNotContain("port=\"" + off + "\",transport=");
      assertThat(Admin.get(admin, "/identity").body())
          .contains("\"what\":\"port " + permissive + " (" + transport + ")\"")
          .doesNotContain("port " + off + " (");
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "nio2, 5984, sun.nio.ch.UnixAsynchronousServerSocketChannelImpl,"
          + " NIO2 AsynchronousServerSocketChannel",
      "epoll, 5985, io.netty.channel.epoll.EpollServerSocketChannel,"
          + " Netty's native epoll transport",
      "grpc-shaded-epoll, 5986,"
          + " io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel,"
          + " Netty's native epoll transport"})
  void aStrictPortBoundWhereTheHookCannotReachIsRefusedBeforeItServesPlaintext(String server,
      int gid, String serverClass, String described) throws Exception {
    Workload workload = Workload.register(spire.cluster(), gid, "/ns/shop/sa/strict-" + server);
    workload.awaitSvid(spire.cluster());
    int off = FreePorts.next();
    int strict = FreePorts.next();
    try (JvmProcess process = JvmProcess.builder("strict-" + server)
        .classpath(childClasspath())
        .mainClass(UnhookedBindServer.class.getName())
        .args(server, Integer.toString(off), Integer.toString(strict))
        .env("SPIFFE_ENDPOINT_SOCKET", spire.cluster().workloadApiAddress())
        .env("LANYARD_STARTUP", "wait=20s,then=fail")
        .env("LANYARD_UPGRADE_INBOUND", strict + "=strict")
        .env("LANYARD_ADMIN_ADDRESS", "off")
        .gid(workload.gid()).javaagent(Mesh.AGENT_JAR)
        .start()) {
      String refusal = "refused to bind port " + strict + ": LANYARD_UPGRADE_INBOUND says strict,"
          + " but " + serverClass + " binds it through " + described + ", which Lanyard's bind"
          + " hook cannot put a listener in front of, so it would serve plaintext; use the JDK NIO"
          + " transport";
      int exit = process.awaitExit(Duration.ofSeconds(60));

      assertThat(exit).as(process.output()).isNotZero();
      assertThat(process.output()).as("the application's own failure names the reason")
          .contains("BindException: lanyard: " + refusal)
          .contains("lanyard: WARN " + refusal)
          .doesNotContain("LISTENING")
          .as("the port left off binds and is not reported")
          .doesNotContain("port " + off + " is NOT upgraded")
          .doesNotContain("refused to bind port " + off);
      try (java.net.Socket probe = new java.net.Socket()) {
        assertThatThrownBy(() -> probe.connect(new java.net.InetSocketAddress("127.0.0.1", strict),
            1000)).as("nothing serves the strict port").isInstanceOf(java.io.IOException.class);
      }
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
      "epoll, strict, 5987, io.netty.channel.epoll.EpollSocketChannel,"
          + " Netty's native epoll transport",
      "epoll, permissive, 5988, io.netty.channel.epoll.EpollSocketChannel,"
          + " Netty's native epoll transport",
      "nio2, strict, 5989, sun.nio.ch.UnixAsynchronousSocketChannelImpl,"
          + " NIO2 AsynchronousSocketChannel",
      "nio2, permissive, 5990, sun.nio.ch.UnixAsynchronousSocketChannelImpl,"
          + " NIO2 AsynchronousSocketChannel"})
  void aMeshDestinationReachedWhereTheHookCannotReachIsRefusedWhenStrictAndReportedWhenPermissive(
      String transport, String mode, int gid, String clientClass, String described)
      throws Exception {
    Workload workload = Workload.register(spire.cluster(), gid,
        "/ns/shop/sa/" + transport + "-" + mode);
    workload.awaitSvid(spire.cluster());
    // A non-loopback address: a mesh destination by the IP rule (Netty resolves it itself).
    java.net.InetAddress address = PlaintextOutboundIT.nonLoopbackAddress();
    String admin = "127.0.0.1:" + FreePorts.next();
    try (java.net.ServerSocket destination = new java.net.ServerSocket(0, 10, address)) {
      destination.setSoTimeout(1);
      int port = destination.getLocalPort();
      String where = address.getHostAddress() + ":" + port;
      try (JvmProcess process = JvmProcess.builder(transport + "-" + mode)
          .classpath(childClasspath())
          .mainClass(UnhookedConnectClient.class.getName())
          .args(transport, address.getHostAddress(), Integer.toString(port), admin)
          .env("SPIFFE_ENDPOINT_SOCKET", spire.cluster().workloadApiAddress())
          .env("LANYARD_STARTUP", "wait=20s,then=fail")
          .env("LANYARD_UPGRADE_OUTBOUND", port + "=" + mode)
          .env("LANYARD_ADMIN_ADDRESS", admin)
          .gid(workload.gid()).javaagent(Mesh.AGENT_JAR)
          .start()) {
        int exit = process.awaitExit(Duration.ofSeconds(60));
        String connects = clientClass + " connects to " + where + " through " + described
            + ", which Lanyard's connect hook cannot carry as mTLS";
        if (mode.equals("strict")) {
          assertThat(exit).as(process.output()).isEqualTo(3);
          assertThat(process.output()).as("the application's connect fails with the reason")
              .contains("ConnectException: lanyard: refused to connect to " + where
                  + ": LANYARD_UPGRADE_OUTBOUND says strict, but " + connects
                  + ", so it would leave in clear text; use ")
              .contains("lanyard: WARN refused to connect to " + where)
              .doesNotContain("SENT");
          assertThatThrownBy(destination::accept).as("no connection reached the destination")
              .isInstanceOf(java.net.SocketTimeoutException.class);
        } else {
          assertThat(exit).as(process.output()).isZero();
          String warning = "lanyard: WARN connection to " + where + " is NOT upgraded to mTLS"
              + " (LANYARD_UPGRADE_OUTBOUND says permissive): " + connects;
          assertThat(process.output()).contains("SENT").contains(warning);
          assertThat(process.output().split(Pattern.quote(warning), -1)).hasSize(2);
          try (java.net.Socket accepted = destination.accept()) {
            assertThat(new String(accepted.getInputStream().readAllBytes(),
                java.nio.charset.StandardCharsets.US_ASCII))
                .as("permissive: the bytes went in clear text, as reported")
                .isEqualTo("plain line\n");
          }
        }
        assertThat(process.output()).as("counted, as the client read its own /metrics")
            .contains("NOT_UPGRADED_CONNECTS lanyard_outbound_not_upgraded_connects_total{"
                + "destination=\"" + where + "\",result=\""
                + (mode.equals("strict") ? "denied" : "allowed") + "\",transport=\""
                + (transport.equals("epoll") ? "netty-epoll" : "nio2") + "\"} 1.0");
      }
    }
  }

  /**
   * The server's classpath, from this test's own: its classes, Netty with the epoll library, and
   * grpc-netty-shaded with gRPC and Guava (java-spiffe's); nothing of Lanyard's but the agent jar.
   */
  private static String childClasspath() {
    String classpath = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    return java.util.Arrays.stream(classpath.split(java.io.File.pathSeparator))
        .filter(entry -> entry.endsWith("test-classes") || entry.contains("/io/netty/")
            || entry.contains("/io/grpc/") || entry.contains("/com/google/")
            || entry.contains("/io/perfmark/"))
        .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
  }
}
