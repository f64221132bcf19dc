package dev.lanyard.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What the results must say about the machine, and the few probes of a running JVM. */
final class Machine {
  private Machine() {}

  /** The 1, 5 and 15 minute load averages from {@code /proc/loadavg}. */
  static double[] loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return new double[] {Double.parseDouble(parts[0]), Double.parseDouble(parts[1]),
          Double.parseDouble(parts[2])};
    } catch (IOException | RuntimeException e) {
      return new double[] {Double.NaN, Double.NaN, Double.NaN};
    }
  }

  /** A load average as the reports print it: "1 min / 5 min / 15 min", or "?" when unread. */
  static String loadText(double[] load) {
    return load == null ? "?" : Stats.format(load[0], 2) + " / " + Stats.format(load[1], 2)
        + " / " + Stats.format(load[2], 2);
  }

  static int processors() {
    return Runtime.getRuntime().availableProcessors();
  }

  static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException e) {
      // fall through
    }
    return "unknown";
  }

  static long memTotalKb() {
    return procField(Path.of("/proc/meminfo"), "MemTotal:");
  }

  static String jdk() {
    return System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
        + " (" + System.getProperty("java.home") + ")";
  }

  static String kernel() {
    return System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
        + System.getProperty("os.arch");
  }

  /** The first 16 hex digits of a file's SHA-256, to tell javaagent builds apart. */
  static String sha256(Path file) {
    try (var in = Files.newInputStream(file)) {
      var digest = java.security.MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
      return java.util.HexFormat.of().formatHex(digest.digest()).substring(0, 16);
    } catch (IOException | java.security.GeneralSecurityException e) {
      return "unknown";
    }
  }

  /** {@code VmRSS} of a live process, in KiB. */
  /** utime + stime of {@code /proc/<pid>/stat}, in seconds (USER_HZ is 100 on Linux); 0 if gone. */
  static double cpuSeconds(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
    } catch (IOException | RuntimeException e) {
      return 0.0;
    }
  }

  static long vmRssKb(long pid) {
    return procField(Path.of("/proc", Long.toString(pid), "status"), "VmRSS:");
  }

  /** {@code RssAnon} (heap, metaspace, malloc, stacks) of a live process, in KiB. */
  static long rssAnonKb(long pid) {
    return procField(Path.of("/proc", Long.toString(pid), "status"), "RssAnon:");
  }

  /** {@code RssFile} (libjvm, the CDS archive, native libraries, mapped jars) of a live process, in KiB. */
  static long rssFileKb(long pid) {
    return procField(Path.of("/proc", Long.toString(pid), "status"), "RssFile:");
  }

  private static long procField(Path file, String field) {
    try {
      for (String line : Files.readAllLines(file)) {
        if (line.startsWith(field)) {
          return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // fall through
    }
    return -1;
  }

  /** {@code jcmd <pid> <command...>} with the JDK running us; its output, or "" when it fails. */
  static String jcmd(long pid, String... command) {
    List<String> line = new ArrayList<>();
    line.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
    line.add(Long.toString(pid));
    line.addAll(List.of(command));
    return output(line);
  }

  static String firstLine(List<String> command) {
    String out = output(command).strip();
    int newline = out.indexOf('\n');
    return newline < 0 ? out : out.substring(0, newline);
  }

  static String output(List<String> command) {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    TimedRun.cleanEnvironment(builder.environment());
    try {
      Process process = builder.start();
      byte[] bytes = process.getInputStream().readAllBytes();
      process.waitFor(60, TimeUnit.SECONDS);
      return new String(bytes, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }
}
