package dev.lanyard.compat;

import static dev.lanyard.compat.TestCertificates.CLIENT_ID;
import static dev.lanyard.compat.TestCertificates.PASSWORD;
import static dev.lanyard.compat.TestCertificates.SERVER_ID;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * IsolationApp, without the javaagent: it must load exactly the library versions this module pins
 * (not Lanyard's), use them, and make mutual-TLS calls to compat-apps' JDK HttpsServer and gRPC
 * server, through the JDK HttpClient and through its own old gRPC and Netty (epoll).
 */
class IsolationAppTest {
  @TempDir static Path dir;

  @Test
  void loadsItsOwnLibraryVersionsAndCallsWithMutualTls() throws Exception {
    String compat = AppProcess.classpath("compat.classes", "compat.classpathFile");
    String isolation = AppProcess.classpath("isolation.classes", "isolation.classpathFile");
    TestCertificates.Files pki = TestCertificates.write(dir);
    List<String> serverTls = List.of("--port", "0", "--bind", "127.0.0.1", "--tls", "keystore",
        "--keystore", pki.serverKeyStore().toString(), "--truststore", pki.trustStore().toString(),
        "--password", PASSWORD);
    try (AppProcess https = AppProcess.start(compat, dir, "https", List.of(),
            "JdkHttpsServerApp", serverTls);
        AppProcess grpc = AppProcess.start(compat, dir, "grpc", List.of(),
            "GrpcServerApp", serverTls)) {
      int httpsPort = https.awaitPort(Duration.ofSeconds(60));
      int grpcPort = grpc.awaitPort(Duration.ofSeconds(60));

      AppProcess app = AppProcess.start(isolation, dir, "isolation", List.of(), "IsolationApp",
          List.of("--url", "https://localhost:" + httpsPort + "/isolation",
              "--grpc-target", "localhost:" + grpcPort, "--requests", "2", "--tls", "keystore",
              "--keystore", pki.clientKeyStore().toString(),
              "--truststore", pki.trustStore().toString(), "--password", PASSWORD));
      int exit = app.awaitExit(Duration.ofSeconds(60));
      String out = app.stdout();
      assertThat(exit).as(app.report()).isZero();
      assertThat(out).as(app.report())
          .contains("LOADED library=grpc version=" + expected("grpc") + " ")
          .contains("LOADED library=netty version=" + expected("netty") + " ")
          .contains("LOADED library=protobuf version=" + expected("protobuf") + " ")
          .contains("LOADED library=guava version=" + expected("guava") + " ")
          .contains("LOADED library=bytebuddy version=" + expected("bytebuddy") + " ")
          .contains("LOADED library=slf4j version=" + expected("slf4j") + " ")
          .contains("LOADED library=netty-epoll version=" + expected("netty") + " available=true")
          .contains("USED protobuf=IsolationApp guava=4 bytebuddy=GeneratedByIsolationApp"
              + " slf4j=SimpleLoggerFactory");
      assertThat(out.lines().filter(line -> line.startsWith("OK ")).toList())
          .as(app.report())
          .containsExactly(
              "OK status=200 server_peer=" + SERVER_ID + " body=peer=" + CLIENT_ID,
              "OK status=200 server_peer=" + SERVER_ID + " body=peer=" + CLIENT_ID,
              "OK status=OK server_peer=" + SERVER_ID + " body=peer=" + CLIENT_ID,
              "OK status=OK server_peer=" + SERVER_ID + " body=peer=" + CLIENT_ID);
      assertThat(out.lines().filter(line -> line.startsWith("SUMMARY ok=2 failed=0 ")).count())
          .as(app.report()).isEqualTo(2);
      assertThat(app.stderr()).as(app.report())
          .contains("INFO dev.lanyard.compat.IsolationApp - SLF4J 1.7 logging");
    }
  }

  private static String expected(String library) {
    return System.getProperty("isolation.expected." + library);
  }
}
