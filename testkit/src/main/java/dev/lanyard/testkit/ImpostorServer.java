package dev.lanyard.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.testkit.TestPki.Issued;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An attacker's server written with another stack (Python 3's {@code ssl}), on loopback: either a
 * TLS server presenting {@code material} (e.g. a valid SVID of the trust domain that is not the
 * one a host should present) that records every request it gets, or a raw TCP listener that
 * records the first bytes sent to it (clear text or a TLS ClientHello). The key reaches Python
 * over stdin and a pipe, never a file.
 */
public final class ImpostorServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ManagedProcess process;
  private final TempDir dir;
  private final int port;

  private ImpostorServer(ManagedProcess process, TempDir dir, int port) {
    this.process = process;
    this.dir = dir;
    this.port = port;
  }

  /** A TLS server presenting {@code material}'s chain. */
  public static ImpostorServer tls(Issued material) {
    StringBuilder chain = new StringBuilder();
    for (java.security.cert.X509Certificate certificate : material.chain()) {
      chain.append(TestPki.pem(certificate));
    }
    return start(Map.of("mode", "tls", "cert", chain.toString(), "key", material.keyPem()));
  }

  /** A raw TCP listener recording the first bytes of every connection. */
  public static ImpostorServer raw() {
    return start(Map.of("mode", "raw"));
  }

  private static ImpostorServer start(Map<String, String> config) {
    TempDir dir = TempDir.create("impostor");
    try {
      Path script = dir.path().resolve("impostor_server.py");
      try (InputStream in = ImpostorServer.class.getResourceAsStream("impostor_server.py")) {
        Files.write(script, in.readAllBytes());
      }
      ManagedProcess process = ManagedProcess.start("impostor",
          List.of("python3", "-u", script.toString()), Map.of(), dir.path(),
          dir.path().resolve("impostor.log"));
      OutputStream stdin = process.stdin();
      stdin.write((JSON.writeValueAsString(config) + "\n").getBytes(StandardCharsets.UTF_8));
      stdin.flush();
      Matcher listening = process.awaitOutput(Pattern.compile("LISTENING port=(\\d+)"),
          Duration.ofSeconds(20));
      return new ImpostorServer(process, dir, Integer.parseInt(listening.group(1)));
    } catch (IOException e) {
      dir.close();
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return port;
  }

  /** Everything the server printed. */
  public String output() {
    return process.output();
  }

  /** The requests that got past the handshake: request line and headers (names lower case). */
  public List<JsonNode> requests() {
    List<JsonNode> requests = new ArrayList<>();
    for (String line : output().split("\n")) {
      if (line.startsWith("REQUEST ")) {
        try {
          requests.add(JSON.readTree(line.substring("REQUEST ".length())));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return requests;
  }

  /** The first bytes of each connection (raw mode). */
  public List<byte[]> firstBytes() {
    List<byte[]> all = new ArrayList<>();
    for (String line : output().split("\n")) {
      if (line.startsWith("BYTES ")) {
        all.add(java.util.HexFormat.of().parseHex(line.substring("BYTES ".length()).trim()));
      }
    }
    return all;
  }

  /** Waits until {@code count} connections were recorded (requests, refusals or raw bytes). */
  public void awaitConnections(int count, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      long seen = output().lines().filter(line -> line.startsWith("REQUEST ")
          || line.startsWith("HANDSHAKE ") || line.startsWith("BYTES ")
          || line.startsWith("AFTER_HANDSHAKE ")).count();
      if (seen >= count) {
        return;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  @Override
  public void close() {
    process.close();
    dir.close();
  }
}
