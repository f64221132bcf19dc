package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Clock;
import org.junit.jupiter.api.Test;

class SvidUpdateValidatorTest {
  private static final String ID = "spiffe://lanyard.test/ns/shop/sa/web";
  private final TestCa ca = TestCa.root("lanyard.test");
  private final SvidUpdateValidator validator = new SvidUpdateValidator(Clock.systemUTC());

  @Test
  void acceptsAMatchingChainKeyAndBundle() throws Exception {
    TestCa.Issued issued = ca.leaf(ID).issue();

    Identity identity = validator.validate(issued.chain(), issued.key(), ca.bundles());

    assertThat(identity.spiffeId().toString()).isEqualTo(ID);
    assertThat(identity.serial()).isEqualTo(issued.leaf().getSerialNumber());
  }

  @Test
  void acceptsRsaKeys() throws Exception {
    TestCa.Issued issued = ca.leaf(ID).keyAlgorithm("RSA").issue();

    assertThat(validator.validate(issued.chain(), issued.key(), ca.bundles()).leaf())
        .isEqualTo(issued.leaf());
  }

  @Test
  void rejectsAKeyThatBelongsToAnotherCertificate() {
    TestCa.Issued issued = ca.leaf(ID).issue();
    TestCa.Issued other = ca.leaf(ID).issue();

    InvalidSvidException e = catchThrowableOfType(InvalidSvidException.class,
        () -> validator.validate(issued.chain(), other.key(), ca.bundles()));

    assertThat(e.reason()).isEqualTo(InvalidSvidException.Reason.KEY_DOES_NOT_MATCH);
    assertThat(e.getMessage()).isEqualTo("the private key delivered with X.509-SVID " + ID
        + " does not belong to its certificate");
  }

  @Test
  void rejectsAnSvidThatDoesNotChainToItsOwnBundle() {
    TestCa.Issued issued = TestCa.root("lanyard.test").leaf(ID).issue();

    InvalidSvidException e = catchThrowableOfType(InvalidSvidException.class,
        () -> validator.validate(issued.chain(), issued.key(), ca.bundles()));

    assertThat(e.reason()).isEqualTo(InvalidSvidException.Reason.CHAIN_NOT_TRUSTED);
  }

  @Test
  void anExpiredUpdateIsBlamedOnTheWorkloadApiNotAPeer() {
    java.time.Instant now = java.time.Instant.now();
    TestCa.Issued expired = ca.leaf(ID).validity(now.minusSeconds(7200), now.minusSeconds(3600))
        .issue();

    InvalidSvidException e = catchThrowableOfType(InvalidSvidException.class,
        () -> validator.validate(expired.chain(), expired.key(), ca.bundles()));

    assertThat(e.reason()).isEqualTo(InvalidSvidException.Reason.EXPIRED);
    assertThat(e.getMessage()).startsWith("X.509-SVID " + ID + " expired at ")
        .doesNotContain("peer")
        .endsWith("); the Workload API sent it already expired: check the clocks of this host"
            + " and of the SPIRE Agent");
  }
}
