package dev.lanyard.agent.upgrade;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.agent.upgrade.nativeprobe.NativeProbe;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NativeTransportSteeringTest {
  private final List<String> steered = new ArrayList<>();
  private final NativeTransportSteering steering = new NativeTransportSteering(
      "LANYARD_UPGRADE_INBOUND", (availability, askedBy) -> steered.add(availability + " <- "
          + askedBy));

  @Test
  void aCallerOutsideTheTransportsPackageIsToldItIsUnavailableAndThatIsSaidOnce() {
    assertThat(NativeProbe.isAvailable(steering)).isFalse();
    assertThat(NativeProbe.isAvailable(steering)).isFalse();

    assertThat(steered).containsExactly(NativeProbe.class.getName() + " <- "
        + NativeTransportSteeringTest.class.getName());
  }

  @Test
  void theTransportsOwnChecksFromItsPackageAreAnsweredAsTheyAre() {
    assertThat(NativeProbe.isFeatureAvailable(steering)).isTrue();
    assertThat(NativeProbe.SamePackageCaller.ask(steering)).isTrue();

    assertThat(steered).isEmpty();
  }

  @Test
  void aReflectiveCallerIsTheClassThatInvokedIt() throws Exception {
    boolean available = (boolean) NativeProbe.class
        .getMethod("isAvailable", NativeTransportSteering.class).invoke(null, steering);

    assertThat(available).isFalse();
    assertThat(steered).singleElement().asString()
        .endsWith(" <- " + NativeTransportSteeringTest.class.getName());
  }
}
