package dev.lanyard.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The verdict of the plain-HTTP upgrade report from fixed figures: what each configuration adds
 * to plaintext is taken round by round, and the target needs the in-process upgrade to add less
 * than the sidecar pair at p50 and at p99. No timing is measured here.
 */
class PlaintextReportTest {
  @Test
  void theTargetIsMetWhenTheUpgradeAddsLessAtP50AndP99() {
    PlaintextReport report = report(List.of(900.0, 1000.0), List.of(5000.0, 6000.0),
        List.of(1100.0, 1150.0), List.of(5500.0, 6400.0),
        List.of(1300.0, 1500.0), List.of(7000.0, 9000.0));

    assertThat(report.targetMet()).isTrue();
    assertThat(report.markdown())
        .contains("| warm latency p50 added, µs | +175 (150–200) | +450 (400–500) | in-process adds less |")
        .contains("| warm latency p99 added, µs | +450 (400–500) | +2500 (2000–3000) | in-process adds less |")
        .contains("**Verdict on the target (warm latency added, p50 and p99): met.**");
    assertThat(report.json()).contains("\"target_met\" : true");
  }

  @Test
  void theTargetIsMissedWhenTheUpgradeAddsMoreAtP99() {
    PlaintextReport report = report(List.of(900.0, 1000.0), List.of(5000.0, 6000.0),
        List.of(1100.0, 1150.0), List.of(9000.0, 9500.0),
        List.of(1300.0, 1500.0), List.of(7000.0, 9000.0));

    assertThat(report.targetMet()).isFalse();
    assertThat(report.markdown())
        .contains("| warm latency p99 added, µs | +3750 (3500–4000) | +2500 (2000–3000) | sidecars add less |")
        .contains("**Verdict on the target (warm latency added, p50 and p99): missed.**");
  }

  @Test
  void anEqualAdditionIsNeitherSideWinning() {
    PlaintextReport report = report(List.of(1000.0), List.of(5000.0), List.of(1200.0),
        List.of(6000.0), List.of(1200.0), List.of(6000.0));

    assertThat(report.targetMet()).isFalse();
    assertThat(report.markdown()).contains("| warm latency p50 added, µs | +200 (200–200) | +200 (200–200) | equal |");
  }

  private static PlaintextReport report(List<Double> plainP50, List<Double> plainP99,
      List<Double> upgradedP50, List<Double> upgradedP99, List<Double> sidecarP50,
      List<Double> sidecarP99) {
    PlaintextReport report = new PlaintextReport(PlaintextUpgradeBench.Settings.parse(new String[0]));
    fill(report.figures(PlaintextReport.PLAINTEXT), plainP50, plainP99);
    fill(report.figures(PlaintextReport.UPGRADED), upgradedP50, upgradedP99);
    fill(report.figures(PlaintextReport.SIDECARS), sidecarP50, sidecarP99);
    return report;
  }

  private static void fill(PlaintextReport.Figures figures, List<Double> p50, List<Double> p99) {
    figures.warmP50Us.addAll(p50);
    figures.warmP99Us.addAll(p99);
    for (int i = 0; i < p50.size(); i++) {
      figures.perSecond.add(1000.0);
      figures.cpuMsPerThousand.add(100.0);
      figures.startupMillis.add(1500.0);
      figures.startupCpuSeconds.add(1.0);
      figures.sidecarReadyMillis.add(Double.NaN);
    }
  }
}
