package dev.lanyard.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.webhook.server.ServingCertificates;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class WebhookMainTest {
  @TempDir Path dir;

  @Test
  void aPortInUseIsOneLineNamingTheAddressNotAStackTrace() throws Exception {
    ServingCertificates tls = new ServingCertificates(dir);
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      PrintStream previous = System.err;
      int exit;
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      try {
        exit =
            new CommandLine(new WebhookMain())
                .execute(
                    "--host", "127.0.0.1",
                    "--port", Integer.toString(taken.getLocalPort()),
                    "--tls-cert", tls.certificate().toString(),
                    "--tls-key", tls.key().toString(),
                    "--no-events",
                    "--warmup-admissions", "0");
      } finally {
        System.setErr(previous);
      }

      String message = err.toString(StandardCharsets.UTF_8);
      assertThat(exit).isEqualTo(1);
      assertThat(message)
          .contains("cannot listen on 127.0.0.1:" + taken.getLocalPort())
          .doesNotContain("\tat ");
    }
  }
}
