package dev.lanyard.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a leak shows in a running JVM, read from outside: file descriptors and threads from
 * {@code /proc}, heap used after a full GC and direct memory (NMT's "Other") from {@code jcmd},
 * RSS. The JVM must run with {@code -XX:NativeMemoryTracking=summary} for the direct figure.
 */
public final class ProcessFigures {
  private static final Pattern NMT_OTHER =
      Pattern.compile("-\\s+Other \\(reserved=(\\d+)KB, committed=(\\d+)KB\\)");
  private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");

  /** One sample of a process. */
  public record Sample(long atMillis, int fds, int threads, long heapAfterGcKb, long directKb,
      long rssKb) {
    @Override
    public String toString() {
      return String.format("fds %d, threads %d, heap after GC %d KiB, direct %d KiB, RSS %d MiB",
          fds, threads, heapAfterGcKb, directKb, rssKb / 1024);
    }
  }

  private ProcessFigures() {}

  /**
   * Samples {@code pid}: a full GC first (so heap and direct buffers reflect what is still
   * referenced), then the counts. The first jcmd against a JVM starts its attach listener (a
   * thread and a socket): take and discard one sample before a baseline.
   */
  public static Sample sample(long pid, long atMillis) {
    // One jcmd (a JVM start) for the three commands, at the lowest priority, so that sampling
    // does not starve the processes under test on a small machine.
    String out = Command.run(Duration.ofSeconds(60), "nice", "-n", "19",
        Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid),
        "-f", COMMANDS.toString()).orThrow();
    int nmt = out.indexOf("Native Memory Tracking");
    if (nmt < 0) {
      throw new IllegalStateException("the JVM runs without -XX:NativeMemoryTracking=summary:\n"
          + out);
    }
    long heap = heapUsedKb(out.substring(0, nmt));
    long direct = directKb(out.substring(nmt));
    return new Sample(atMillis, count(pid, "fd"), count(pid, "task"), heap, direct, rssKb(pid));
  }

  private static final Path COMMANDS = commandsFile();

  private static Path commandsFile() {
    try {
      Path file = Files.createTempFile("lanyard-jcmd-", ".txt");
      file.toFile().deleteOnExit();
      Files.writeString(file, "GC.run\nGC.heap_info\nVM.native_memory summary\n");
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The sum of "used NK" over the heap's generations or regions (metaspace excluded). */
  static long heapUsedKb(String heapInfo) {
    long used = 0;
    for (String line : heapInfo.split("\n")) {
      if (line.contains("Metaspace") || line.contains("class space")) {
        continue;
      }
      Matcher matcher = HEAP_USED.matcher(line);
      if (matcher.find() && !line.trim().startsWith("region size")) {
        used += Long.parseLong(matcher.group(1));
      }
    }
    if (used == 0) {
      throw new IllegalStateException("no heap figures in GC.heap_info:\n" + heapInfo);
    }
    return used;
  }

  static long directKb(String nmtSummary) {
    if (!nmtSummary.contains("Native Memory Tracking")) {
      throw new IllegalStateException("the JVM runs without -XX:NativeMemoryTracking=summary:\n"
          + nmtSummary);
    }
    Matcher matcher = NMT_OTHER.matcher(nmtSummary);
    return matcher.find() ? Long.parseLong(matcher.group(2)) : 0; // no line: nothing allocated
  }

  public static int count(long pid, String what) {
    String[] entries = Path.of("/proc", Long.toString(pid), what).toFile().list();
    return entries == null ? -1 : entries.length;
  }

  public static long rssKb(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("\\D", ""));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("/proc/" + pid + "/status", e);
    }
    return -1;
  }

  public static String jcmd(long pid, String... command) {
    List<String> line = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid)));
    line.addAll(List.of(command));
    return Command.run(Duration.ofSeconds(60), line).orThrow();
  }
}
