package dev.lanyard.bench;

import dev.lanyard.bench.SidecarBench.Config;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Measurement of {@link SidecarBench}: the warm-up, then the rounds, each configuration in a
 * rotated order with {@code wrk} keep-alive and connection per request; throughput, latency, the
 * proxies' CPU per 1000 requests, peak RSS and full handshakes per connection into the report.
 */
final class SidecarLoadRounds {
  private static final Pattern HANDSHAKES_ALLOWED =
      Pattern.compile("lanyard_handshakes_total\\{outcome=\"allowed\"} ([0-9.eE+]+)");

  private final SidecarBench.Settings settings;
  private final SidecarReport report;

  SidecarLoadRounds(SidecarBench.Settings settings, SidecarReport report) {
    this.settings = settings;
    this.report = report;
  }

  void run(List<Config> configs) {
    // Long enough for the JVMs' optimizing compiler to have compiled the hot paths: the rounds
    // compare steady states. The connection set-up path (TLS engine, handshake, peer check,
    // pipeline) needs some thousands of connections; with 4 s of them, the burst of 16 handshakes
    // that opens every keep-alive run took the sidecars 35-50 ms, after ~15,000 connections
    // 13-15 ms (ghostunnel 16-19 ms). Every warm-up run is reported, so the cold cost shows.
    SidecarBench.log("warm-up: every configuration, keep-alive then connection per request");
    for (Config config : configs) {
      SidecarReport.WarmUp warmUp = report.warmUps.computeIfAbsent(config.name(),
          n -> new SidecarReport.WarmUp());
      SidecarWrk keepAlive = SidecarWrk.run(wrk(config, SidecarBench.WARM_UP_KEEP_ALIVE_SECONDS, false));
      check(config, keepAlive);
      warmUp.keepAlive = keepAlive;
      for (int run = 0; run < SidecarBench.WARM_UP_NEW_CONNECTION_RUNS; run++) {
        SidecarWrk fresh = SidecarWrk.run(wrk(config, SidecarBench.WARM_UP_NEW_CONNECTION_SECONDS, true));
        check(config, fresh);
        warmUp.newConnectionRuns.add(fresh);
      }
      SidecarBench.log("warm-up " + config.name() + ": keep-alive " + keepAlive.brief() + "; connection per "
          + "request " + warmUp.newConnectionRuns.stream().map(SidecarWrk::brief)
          .collect(Collectors.joining(" → ")));
    }
    report.wrkKeepAlive = String.join(" ", wrk(configs.get(0), settings.seconds(), false));
    report.wrkNewConnection = String.join(" ", wrk(configs.get(0), settings.seconds(), true));
    for (int round = 0; round < settings.rounds(); round++) {
      report.roundLoads.add(Machine.loadAverage()[0]);
      for (int k = 0; k < configs.size(); k++) {
        Config config = configs.get((k + round) % configs.size());
        SidecarReport.Samples samples = report.samples.computeIfAbsent(config.name(),
            n -> new SidecarReport.Samples());
        double cpuBefore = cpu(config);
        SidecarWrk keepAlive = sampled(config, () -> SidecarWrk.run(wrk(config, settings.seconds(), false)));
        double cpuAfter = cpu(config);
        check(config, keepAlive);
        samples.perSecond.add(keepAlive.perSecond());
        samples.p50Us.add(keepAlive.p50Us());
        samples.p99Us.add(keepAlive.p99Us());
        samples.cpuMsPer1000.add(config.proxies().isEmpty() ? 0
            : (cpuAfter - cpuBefore) * 1000 / (keepAlive.requests() / 1000.0));

        double handshakesBefore = handshakes(config);
        double cpuBeforeNew = cpu(config);
        SidecarWrk fresh = sampled(config, () -> SidecarWrk.run(wrk(config, settings.seconds(), true)));
        double cpuAfterNew = cpu(config);
        double handshakesAfter = handshakes(config);
        check(config, fresh);
        samples.connectionsPerSecond.add(fresh.perSecond());
        samples.connectionP50Us.add(fresh.p50Us());
        samples.connectionP99Us.add(fresh.p99Us());
        samples.connectionCpuMsPer1000.add(config.proxies().isEmpty() ? 0
            : (cpuAfterNew - cpuBeforeNew) * 1000 / (fresh.requests() / 1000.0));
        if (!Double.isNaN(handshakesBefore)) {
          samples.fullHandshakesPerConnection.add((handshakesAfter - handshakesBefore) / fresh.requests());
        }
        SidecarBench.log("round " + (round + 1) + "/" + settings.rounds() + " " + config.name() + ": keep-alive "
            + keepAlive.brief() + "; connection per request " + fresh.brief());
      }
    }
  }

  private List<String> wrk(Config config, int seconds, boolean newConnectionPerRequest) {
    return SidecarWrk.command("http://127.0.0.1:" + config.port() + "/hello", settings.threads(),
        settings.connections(), seconds, newConnectionPerRequest);
  }

  /** Runs the load while sampling every proxy's RSS; keeps each proxy's maximum. */
  private SidecarWrk sampled(Config config, java.util.function.Supplier<SidecarWrk> load) {
    AtomicBoolean running = new AtomicBoolean(true);
    Thread sampler = new Thread(() -> {
      while (running.get()) {
        for (SidecarChild proxy : config.proxies()) {
          report.loadRssKb.merge(proxy.name, proxy.rssKb(), Math::max);
        }
        try {
          Thread.sleep(250);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "rss-sampler");
    sampler.start();
    try {
      return load.get();
    } finally {
      running.set(false);
      sampler.interrupt();
    }
  }

  private static double cpu(Config config) {
    return config.proxies().stream().mapToDouble(SidecarChild::cpuSeconds).sum();
  }

  /** Full handshakes the server sidecar verified so far (resumed sessions are not verified again). */
  private static double handshakes(Config config) {
    if (config.serverAdmin() == null) {
      return Double.NaN;
    }
    Matcher matcher = HANDSHAKES_ALLOWED.matcher(AdminHttp.get("http://" + config.serverAdmin() + "/metrics").body());
    return matcher.find() ? Double.parseDouble(matcher.group(1)) : Double.NaN;
  }

  private static void check(Config config, SidecarWrk run) {
    if (run.requests() == 0 || run.non2xx() > 0) {
      throw new IllegalStateException(config.name() + ": wrk saw failures:\n" + run.output()
          + config.proxies().stream().map(p -> "\n--- " + p.name + ":\n" + TimedRun.tail(p.output(), 20))
              .reduce("", String::concat));
    }
  }
}
