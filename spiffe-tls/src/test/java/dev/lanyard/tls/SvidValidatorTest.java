package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.Test;

class SvidValidatorTest {
  private static final String ID = "spiffe://lanyard.test/ns/shop/sa/web";
  private final TestCa ca = TestCa.root("lanyard.test");
  private final SvidValidator validator = new SvidValidator(Clock.systemUTC());

  @Test
  void acceptsAValidSvidAndReturnsItsId() throws Exception {
    List<X509Certificate> chain = ca.leaf(ID).issue().chain();

    assertThat(validator.validate(chain, ca.bundles()).toString()).isEqualTo(ID);
  }

  @Test
  void acceptsAChainThroughAnIntermediateAndOneThatRepeatsTheRoot() throws Exception {
    TestCa intermediate = ca.intermediate();
    List<X509Certificate> chain = new ArrayList<>(intermediate.leaf(ID).issue().chain());

    assertThat(validator.validate(chain, ca.bundles()).toString()).isEqualTo(ID);
    chain.add(ca.certificate());
    assertThat(validator.validate(chain, ca.bundles()).toString()).isEqualTo(ID);
  }

  @Test
  void eachBrokenRuleHasItsOwnReason() {
    Instant now = Instant.now();
    Map<InvalidSvidException.Reason, List<X509Certificate>> cases = Map.ofEntries(
        Map.entry(InvalidSvidException.Reason.EMPTY_CHAIN, List.of()),
        Map.entry(InvalidSvidException.Reason.NO_URI_SAN,
            ca.leaf(ID).noUris().dns("web.shop.svc").issue().chain()),
        Map.entry(InvalidSvidException.Reason.MULTIPLE_URI_SANS,
            ca.leaf(ID).uri("spiffe://lanyard.test/other").issue().chain()),
        Map.entry(InvalidSvidException.Reason.NOT_SPIFFE_SCHEME,
            ca.leaf("https://lanyard.test/ns/shop").issue().chain()),
        Map.entry(InvalidSvidException.Reason.MALFORMED_SPIFFE_ID,
            ca.leaf("spiffe://lanyard.test/ns//shop").issue().chain()),
        Map.entry(InvalidSvidException.Reason.LEAF_IS_CA,
            ca.leaf(ID).ca(true).issue().chain()),
        Map.entry(InvalidSvidException.Reason.LEAF_HAS_KEY_CERT_SIGN,
            ca.leaf(ID).keyUsage(KeyUsage.digitalSignature | KeyUsage.keyCertSign).issue().chain()),
        Map.entry(InvalidSvidException.Reason.LEAF_HAS_CRL_SIGN,
            ca.leaf(ID).keyUsage(KeyUsage.digitalSignature | KeyUsage.cRLSign).issue().chain()),
        Map.entry(InvalidSvidException.Reason.LEAF_LACKS_DIGITAL_SIGNATURE,
            ca.leaf(ID).keyUsage(KeyUsage.keyEncipherment).issue().chain()),
        Map.entry(InvalidSvidException.Reason.NOT_YET_VALID,
            ca.leaf(ID).validity(now.plusSeconds(600), now.plusSeconds(1200)).issue().chain()),
        Map.entry(InvalidSvidException.Reason.EXPIRED,
            ca.leaf(ID).validity(now.minusSeconds(1200), now.minusSeconds(600)).issue().chain()),
        Map.entry(InvalidSvidException.Reason.UNKNOWN_TRUST_DOMAIN,
            TestCa.root("elsewhere.test").leaf("spiffe://elsewhere.test/x").issue().chain()),
        Map.entry(InvalidSvidException.Reason.CHAIN_NOT_TRUSTED,
            TestCa.root("lanyard.test").leaf(ID).issue().chain()));

    Set<String> messages = new HashSet<>();
    cases.forEach((reason, chain) -> {
      InvalidSvidException e = catchThrowableOfType(InvalidSvidException.class,
          () -> validator.validate(chain, ca.bundles()));
      assertThat(e).as(reason.toString()).isNotNull();
      assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason);
      messages.add(e.getMessage());
    });
    assertThat(messages).hasSize(cases.size());
  }

  @Test
  void anIdWithUpperCaseInItsSchemeOrTrustDomainIsMalformedNotLowerCased() {
    for (String uri : List.of("spiffe://Lanyard.test/ns/shop", "SPIFFE://lanyard.test/ns/shop")) {
      InvalidSvidException e = catchThrowableOfType(InvalidSvidException.class,
          () -> validator.validate(ca.leaf(uri).issue().chain(), ca.bundles()));

      assertThat(e).as(uri).isNotNull();
      assertThat(e.reason()).as(uri).isEqualTo(InvalidSvidException.Reason.MALFORMED_SPIFFE_ID);
      assertThat(e.getMessage()).isEqualTo("URI SAN " + uri + " is not a valid SPIFFE ID: the"
          + " scheme and trust domain must be lower case (spiffe://lanyard.test/ns/shop)");
    }
  }

  @Test
  void aLeafWithoutKeyUsageLacksDigitalSignature() {
    InvalidSvidException e = catchThrowableOfType(InvalidSvidException.class,
        () -> validator.validate(ca.leaf(ID).withoutKeyUsage().issue().chain(), ca.bundles()));

    assertThat(e.reason()).isEqualTo(InvalidSvidException.Reason.LEAF_LACKS_DIGITAL_SIGNATURE);
  }

  @Test
  void messagesNameTheIdAndWhatToDo() {
    Instant now = Instant.now();
    InvalidSvidException expired = catchThrowableOfType(InvalidSvidException.class,
        () -> validator.validate(ca.leaf(ID).validity(now.minusSeconds(1200), now.minusSeconds(600))
            .issue().chain(), ca.bundles()));
    InvalidSvidException foreign = catchThrowableOfType(InvalidSvidException.class,
        () -> validator.validate(TestCa.root("elsewhere.test").leaf("spiffe://elsewhere.test/x")
            .issue().chain(), ca.bundles()));
    InvalidSvidException untrusted = catchThrowableOfType(InvalidSvidException.class,
        () -> validator.validate(TestCa.root("lanyard.test").leaf(ID).issue().chain(), ca.bundles()));

    assertThat(expired.getMessage()).startsWith("X.509-SVID " + ID + " expired at ")
        .endsWith("the peer's SPIRE Agent is not renewing it");
    assertThat(foreign.getMessage()).isEqualTo("X.509-SVID spiffe://elsewhere.test/x is from trust"
        + " domain elsewhere.test, for which we hold no trust bundle (known: [lanyard.test]);"
        + " federate the trust domains in SPIRE to trust it");
    assertThat(untrusted.getMessage())
        .startsWith("X.509-SVID " + ID + " does not chain to the trust bundle of lanyard.test: ");
  }

  @Test
  void checksValidityAtTheClocksTime() throws Exception {
    List<X509Certificate> chain = ca.leaf(ID).issue().chain();
    Clock later = Clock.offset(Clock.systemUTC(), Duration.ofHours(2));

    InvalidSvidException e = catchThrowableOfType(InvalidSvidException.class,
        () -> new SvidValidator(later).validate(chain, ca.bundles()));

    assertThat(e.reason()).isEqualTo(InvalidSvidException.Reason.EXPIRED);
  }
}
