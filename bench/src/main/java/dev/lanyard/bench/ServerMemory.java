package dev.lanyard.bench;

import dev.lanyard.bench.AgentBenchProcesses.Config;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Measurement 3 of {@link JavaagentBench}: each server JVM after the load: RSS, heap used after a
 * full GC, NMT's committed total, loaded classes.
 */
final class ServerMemory {
  private ServerMemory() {}

  static void measure(Report report, List<Config> configs) {
    for (Config config : configs) {
      long pid = config.server.pid();
      Report.Memory memory = new Report.Memory();
      memory.rssBeforeGcKb = Machine.vmRssKb(pid);
      String heapInfo = Machine.jcmd(pid, "GC.run") + Machine.jcmd(pid, "GC.heap_info");
      Matcher used = Pattern.compile("used (\\d+)K").matcher(heapInfo);
      memory.heapUsedAfterGcKb = used.find() ? Long.parseLong(used.group(1)) : -1;
      memory.rssAfterGcKb = Machine.vmRssKb(pid);
      Matcher nmt = Pattern.compile("Total: reserved=(\\d+)KB, committed=(\\d+)KB")
          .matcher(Machine.jcmd(pid, "VM.native_memory", "summary"));
      memory.nmtCommittedKb = nmt.find() ? Long.parseLong(nmt.group(2)) : -1;
      Matcher classes = Pattern.compile("\\(classes #(\\d+)\\)")
          .matcher(Machine.jcmd(pid, "VM.native_memory", "summary"));
      memory.loadedClasses = classes.find() ? Long.parseLong(classes.group(1)) : -1;
      report.memory.put(config.name, memory);
      JavaagentBench.log("memory " + config.name + ": rss=" + memory.rssAfterGcKb + "KB heap_used="
          + memory.heapUsedAfterGcKb + "KB nmt_committed=" + memory.nmtCommittedKb + "KB classes="
          + memory.loadedClasses);
    }
  }
}
