package dev.lanyard.webhook.inject;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.reasons.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class PodOutcomesTest {
  /** The reasons a pod is left alone for, in the order README.md's "Skips" lists them. */
  private static final List<Reason> SKIPS =
      List.of(
          Reason.OPTED_OUT,
          Reason.HOST_NETWORK,
          Reason.SYSTEM_NAMESPACE,
          Reason.WEBHOOK_NAMESPACE,
          Reason.ALREADY_INJECTED,
          Reason.INVALID_ANNOTATION,
          Reason.NAME_CONFLICT,
          Reason.UNSUPPORTED_OS,
          Reason.INVALID_POD,
          Reason.NOTHING_TO_INJECT,
          Reason.OUTSIDE_CEILING,
          Reason.LANYARD_PORT,
          Reason.INVALID_WORKLOAD_VALUE);

  @Test
  void exactlyTheThreeRefusalsDenyThePod() {
    assertThat(Arrays.stream(Reason.values()).filter(PodOutcomes::refuses))
        .containsExactlyInAnyOrder(
            Reason.OUTSIDE_CEILING, Reason.LANYARD_PORT, Reason.INVALID_WORKLOAD_VALUE);
  }

  @Test
  void onlyWhatTheOwnerAskedForIsKeptQuiet() {
    assertThat(SKIPS.stream().filter(reason -> !PodOutcomes.surprises(reason)))
        .containsExactlyInAnyOrder(Reason.OPTED_OUT, Reason.ALREADY_INJECTED);
  }

  @Test
  void theReadmeNamesEverySkipAndRefusalCode() throws IOException {
    String readme = Files.readString(Path.of("README.md"));
    assertThat(SKIPS).allSatisfy(reason -> assertThat(readme).contains("`" + reason.code() + "`"));
  }
}
