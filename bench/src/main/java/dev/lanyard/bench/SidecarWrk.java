package dev.lanyard.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One {@code wrk} run and what it printed: requests, requests/s, latency p50/p99, errors. */
record SidecarWrk(long requests, double perSecond, double p50Us, double p99Us, long socketErrors,
    long non2xx, String output) {
  private static final Pattern REQUESTS = Pattern.compile("(\\d+) requests in");
  private static final Pattern PER_SECOND = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
  private static final Pattern PERCENTILE =
      Pattern.compile("\\s(50|99)%\\s+([0-9.]+)(us|ms|s)\\b");
  private static final Pattern SOCKET_ERRORS = Pattern.compile(
      "Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
  private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");

  /** The command line of a run (without the URL's port, which differs per configuration). */
  static List<String> command(String url, int threads, int connections, int seconds,
      boolean newConnectionPerRequest) {
    List<String> command = new ArrayList<>(List.of("wrk", "-t" + threads, "-c" + connections,
        "-d" + seconds + "s", "--latency", "--timeout", "10s"));
    if (newConnectionPerRequest) {
      // wrk then reconnects after every response: a TCP connect (and behind the client-side
      // proxy, a new mTLS connection) per request.
      command.addAll(List.of("-H", "Connection: close"));
    }
    command.add(url);
    return command;
  }

  static SidecarWrk run(List<String> command) {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    try {
      Process process = builder.start();
      byte[] out = process.getInputStream().readAllBytes();
      process.waitFor(120, TimeUnit.SECONDS);
      return parse(new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static SidecarWrk parse(String output) {
    Matcher requests = REQUESTS.matcher(output);
    Matcher perSecond = PER_SECOND.matcher(output);
    if (!requests.find() || !perSecond.find()) {
      throw new IllegalStateException("wrk printed no result:\n" + output);
    }
    double p50 = Double.NaN;
    double p99 = Double.NaN;
    Matcher percentile = PERCENTILE.matcher(output);
    while (percentile.find()) {
      double micros = Double.parseDouble(percentile.group(2)) * switch (percentile.group(3)) {
        case "us" -> 1;
        case "ms" -> 1_000;
        default -> 1_000_000;
      };
      if (percentile.group(1).equals("50")) {
        p50 = micros;
      } else {
        p99 = micros;
      }
    }
    long errors = 0;
    Matcher socket = SOCKET_ERRORS.matcher(output);
    if (socket.find()) {
      for (int i = 1; i <= 4; i++) {
        errors += Long.parseLong(socket.group(i));
      }
    }
    Matcher non2xx = NON_2XX.matcher(output);
    return new SidecarWrk(Long.parseLong(requests.group(1)), Double.parseDouble(perSecond.group(1)),
        p50, p99, errors, non2xx.find() ? Long.parseLong(non2xx.group(1)) : 0, output);
  }

  String brief() {
    return String.format(Locale.ROOT, "%.0f req/s, p50 %.0f us, p99 %.0f us, errors %d, non-2xx %d",
        perSecond, p50Us, p99Us, socketErrors, non2xx);
  }
}
