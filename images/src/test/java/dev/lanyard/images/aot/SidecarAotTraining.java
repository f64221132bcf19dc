package dev.lanyard.images.aot;

import com.sun.net.httpserver.HttpServer;
import dev.lanyard.testkit.BadSvidUpdate;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.TestPki;
import dev.lanyard.testkit.WorkloadApiDouble;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains the sidecar image's AOT cache at image build time with what a sidecar does from its
 * start: fetches its X.509-SVID from a Workload API (testkit's {@link WorkloadApiDouble}: no root,
 * no SPIRE), binds its inbound, outbound and admin listeners, then carries HTTP/1.1 through its own
 * outbound listener to its own inbound one (mTLS handshakes on both sides, BoringSSL, peer checks)
 * to a plain backend: kept-alive connections, a new connection per request, admin reads.
 *
 * <p>Arguments: {@code BASE_TAR LAYER_DIR WORK_DIR SECONDS -- JVM_FLAGS...}; writes
 * {@code LAYER_DIR/opt/lanyard/lanyard-sidecar.aot}.
 */
public final class SidecarAotTraining {
  static final String JAVA = "opt/java/openjdk/bin/java";
  static final String JAR = "opt/lanyard/lanyard-sidecar.jar";
  static final String CACHE = "opt/lanyard/lanyard-sidecar.aot";
  private static final String ID = "spiffe://lanyard.aot/training/sidecar";

  private SidecarAotTraining() {
  }

  public static void main(String[] args) throws Exception {
    Path baseTar = Path.of(args[0]);
    Path layer = Path.of(args[1]);
    Path work = Path.of(args[2]);
    int seconds = Integer.parseInt(args[3]);
    List<String> flags = Arrays.asList(args).subList(5, args.length);
    long began = System.nanoTime();
    Path root = work.resolve("root");
    ImageRoot.extractJdk(baseTar, "opt/java/openjdk", root);
    ImageRoot.copy(layer.resolve(JAR), root, JAR);

    TestPki ca = TestPki.create("lanyard AOT training CA");
    HttpServer backend = Backend.start();
    try (WorkloadApiDouble api = WorkloadApiDouble.start(work.resolve("agent/public/api.sock"))) {
      api.send(BadSvidUpdate.good(ca, ca.svid(ID), ID));
      int mesh = FreePorts.next();
      int outbound = FreePorts.next();
      int admin = FreePorts.next();
      Map<String, String> env = new LinkedHashMap<>();
      env.put("SPIFFE_ENDPOINT_SOCKET", api.address());
      env.put("LANYARD_INBOUND", mesh + ":" + backend.getAddress().getPort());
      env.put("LANYARD_OUTBOUND", "127.0.0.1:" + outbound + "=localhost:" + mesh);
      env.put("LANYARD_ALLOWED_PEERS", ID);
      env.put("LANYARD_ADMIN_ADDRESS", "127.0.0.1:" + admin);
      env.put("LANYARD_OUTBOUND_PROXY", "off");
      env.put("LANYARD_SHUTDOWN_ADDRESS", "off");
      env.put("LANYARD_DRAIN", "1s");
      Path cache = root.resolve(CACHE);
      try (TrainingJvm jvm = TrainingJvm.start(root, JAVA, JAR, cache, flags, env,
          work.resolve("sidecar-training.log"))) {
        jvm.awaitOutput("lanyard: sidecar ready", Duration.ofSeconds(120));
        long requests = HttpTraffic.run(outbound, admin, Duration.ofSeconds(seconds));
        long bytes = jvm.stopAndAwaitCache(Duration.ofMinutes(5));
        ImageRoot.copy(cache, layer, CACHE);
        System.out.printf("aot-training: sidecar cache %d MiB after %d requests, %d s in all%n",
            bytes >> 20, requests, (System.nanoTime() - began) / 1_000_000_000L);
      }
    } finally {
      backend.stop(0);
    }
  }

  /** The app behind the sidecar: 1 KiB per request, keep-alive. */
  static final class Backend {
    private Backend() {
    }

    static HttpServer start() throws IOException {
      byte[] body = new byte[1024];
      Arrays.fill(body, (byte) 'x');
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
      server.createContext("/", exchange -> {
        exchange.getRequestBody().readAllBytes();
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      });
      server.start();
      return server;
    }
  }

}
