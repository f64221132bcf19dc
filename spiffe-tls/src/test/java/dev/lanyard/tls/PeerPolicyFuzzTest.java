package dev.lanyard.tls;

import dev.lanyard.config.ConfigKeys;
import dev.lanyard.config.SpiffeIdPattern;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.spiffe.exception.InvalidSpiffeIdException;
import io.spiffe.spiffeid.SpiffeId;
import io.spiffe.spiffeid.TrustDomain;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Properties of SPIFFE ID and {@code LANYARD_ALLOWED_PEERS} pattern parsing and matching, for any
 * input: a parse either succeeds or throws {@link IllegalArgumentException} naming the offending
 * entry; a policy never lets in a peer of a trust domain none of its patterns names; {@code /*}
 * never matches more than one segment, {@code /**} nothing outside its prefix, an exact pattern
 * only its own ID.
 *
 * <p>Input: UTF-8 text, first line the {@code LANYARD_ALLOWED_PEERS} value, every further line a
 * peer SPIFFE ID to try against it (see {@code PeerPolicyFuzzTestInputs/}). {@code mvn test}
 * replays the committed inputs; {@code scripts/fuzz.sh} explores with {@code JAZZER_FUZZ=1}.
 */
class PeerPolicyFuzzTest {
  private static final SpiffeId LOCAL = SpiffeId.parse("spiffe://local.test/ns/app/sa/me");

  @FuzzTest(maxDuration = "2m")
  void allowedPeersParseOrExplainAndNeverWiden(byte[] input) {
    String[] lines = new String(input, StandardCharsets.UTF_8).split("\n", -1);
    String allowedPeers = lines[0];
    List<SpiffeId> peers = new ArrayList<>();
    for (int i = 1; i < lines.length; i++) {
      parseId(lines[i]).ifPresent(peers::add);
    }

    PeerPolicy policy;
    try {
      policy = PeerPolicy.parse(allowedPeers);
    } catch (IllegalArgumentException e) {
      assertNamesAnEntry(e, allowedPeers);
      return;
    }
    // Every entry that parsed as part of the list parses alone, to the same pattern.
    for (SpiffeIdPattern pattern : policy.patterns()) {
      assertThat(SpiffeIdPattern.parse(pattern.toString())).isEqualTo(pattern);
      peers.addAll(probesFor(pattern));
    }
    assertThat(PeerPolicy.parse(policy.toString()).toString()).isEqualTo(policy.toString());

    for (SpiffeId peer : peers) {
      for (SpiffeIdPattern pattern : policy.patterns()) {
        if (pattern.matches(peer.toString())) {
          assertMatchIsWithinPattern(pattern, peer);
        }
      }
      checkDecision(policy, peer);
    }
  }

  /** The raw SPIFFE ID parsing Lanyard relies on (URI SANs, JWT subjects): succeed or explain. */
  @FuzzTest(maxDuration = "2m")
  void spiffeIdsAndPatternsParseOrExplain(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    parseId(text).ifPresent(id -> {
      assertThat(id.toString()).startsWith("spiffe://" + id.getTrustDomain().getName());
      assertThat(SpiffeId.parse(id.toString())).isEqualTo(id);
      assertThat(id.getPath()).doesNotEndWith("/").doesNotContain("//").doesNotContain("/./")
          .doesNotContain("/../").doesNotContain("*");
      // An ID is also an exact pattern that matches itself and nothing in another trust domain.
      SpiffeIdPattern exact = SpiffeIdPattern.parse(id.toString());
      assertThat(exact.matches(id.toString())).isTrue();
      probesFor(exact).forEach(probe -> assertThat(exact.matches(probe.toString()))
          .as("%s matches %s", exact, probe).isEqualTo(probe.equals(id)));
    });
    SpiffeIdPattern pattern;
    try {
      pattern = SpiffeIdPattern.parse(text);
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage()).as("message for %s", text)
          .contains("\"" + text.trim() + "\"").contains(ConfigKeys.ALLOWED_PEERS.env());
      return;
    }
    assertThat(pattern.toString()).isEqualTo(text.trim());
    for (SpiffeId probe : probesFor(pattern)) {
      if (pattern.matches(probe.toString())) {
        assertMatchIsWithinPattern(pattern, probe);
      }
    }
  }

  /** Hand-picked probes: each pattern shape against IDs just inside and just outside it. */
  @Test
  void shapesMatchWhatTheyPromise() {
    assertThat(SpiffeIdPattern.parse("spiffe://td/ns/a/*").matches(id("spiffe://td/ns/a/b").toString())).isTrue();
    assertThat(SpiffeIdPattern.parse("spiffe://td/ns/a/*").matches(id("spiffe://td/ns/a/b/c").toString())).isFalse();
    assertThat(SpiffeIdPattern.parse("spiffe://td/ns/a/*").matches(id("spiffe://td/ns/ab").toString())).isFalse();
    assertThat(SpiffeIdPattern.parse("spiffe://td/ns/a/**").matches(id("spiffe://td/ns/a/b/c").toString())).isTrue();
    assertThat(SpiffeIdPattern.parse("spiffe://td/ns/a/**").matches(id("spiffe://td/ns/a").toString())).isFalse();
    assertThat(SpiffeIdPattern.parse("spiffe://td/**").matches(id("spiffe://td").toString())).isTrue();
    assertThat(SpiffeIdPattern.parse("spiffe://td/**").matches(id("spiffe://td2/x").toString())).isFalse();
    assertThat(SpiffeIdPattern.parse("spiffe://td/*").matches(id("spiffe://td").toString())).isFalse();
    for (String input : new String[] {"", "spiffe://", "spiffe://*/x", "spiffe://td/a*", "spiffe://td/**/x",
        "spiffe://t d/x", "spiffe://td/./x", "spiffe://td/x/", " spiffe://td//* "}) {
      try {
        SpiffeIdPattern.parse(input);
        fail("parsed " + input);
      } catch (IllegalArgumentException e) {
        assertThat(e.getMessage()).contains("\"" + input.trim() + "\"");
      }
    }
  }

  private static SpiffeId id(String text) {
    return SpiffeId.parse(text);
  }

  /** A SPIFFE ID, or empty when java-spiffe refuses it the documented way. */
  private static java.util.Optional<SpiffeId> parseId(String text) {
    try {
      return java.util.Optional.of(SpiffeId.parse(text));
    } catch (IllegalArgumentException | InvalidSpiffeIdException e) {
      assertThat(e.getMessage()).as("java-spiffe's message for %s", text).isNotBlank();
      return java.util.Optional.empty();
    }
  }

  /** IDs just inside and just outside a pattern: deeper, shallower, sibling, other trust domain. */
  private static List<SpiffeId> probesFor(SpiffeIdPattern pattern) {
    String text = pattern.toString();
    String base = text.endsWith("/**") ? text.substring(0, text.length() - 3)
        : text.endsWith("/*") ? text.substring(0, text.length() - 2) : text;
    String domain = pattern.trustDomain();
    String otherDomain = "spiffe://other-" + domain + base.substring(("spiffe://" + domain).length());
    String suffixDomain = "spiffe://x." + domain + base.substring(("spiffe://" + domain).length());
    List<SpiffeId> probes = new ArrayList<>();
    for (String candidate : new String[] {base, base + "/x", base + "/x/y", base + "x", base + "/x/y/z",
        otherDomain, otherDomain + "/x", otherDomain + "/x/y", suffixDomain + "/x"}) {
      parseId(candidate).ifPresent(probes::add);
    }
    return probes;
  }

  /** What a match may mean, stated from the pattern's text rather than from its implementation. */
  private static void assertMatchIsWithinPattern(SpiffeIdPattern pattern, SpiffeId peer) {
    String text = pattern.toString();
    TrustDomain domain = TrustDomain.parse(pattern.trustDomain());
    assertThat(peer.getTrustDomain()).as("%s matched %s", text, peer).isEqualTo(domain);
    String domainPrefix = "spiffe://" + domain.getName();
    if (text.endsWith("/**")) {
      String base = text.substring(domainPrefix.length(), text.length() - 3);
      assertThat(base.isEmpty() || peer.getPath().startsWith(base + "/"))
          .as("%s matched %s", text, peer).isTrue();
    } else if (text.endsWith("/*")) {
      String base = text.substring(domainPrefix.length(), text.length() - 2);
      assertThat(peer.getPath()).as("%s matched %s", text, peer).startsWith(base + "/");
      String rest = peer.getPath().substring(base.length() + 1);
      assertThat(rest).as("/* matched more than one segment: %s matched %s", text, peer)
          .isNotEmpty().doesNotContain("/");
    } else {
      // java-spiffe lower-cases the trust domain (spiffe://TD/x is spiffe://td/x), on both sides.
      assertThat(peer).as("exact %s matched %s", text, peer).isEqualTo(SpiffeId.parse(text));
    }
  }

  /** A decision allows only peers of the local trust domain (default) or of a listed one. */
  private static void checkDecision(PeerPolicy policy, SpiffeId peer) {
    PeerDecision decision = policy.authorize(LOCAL, peer, Direction.INBOUND);
    boolean allowed = decision.outcome() == PeerDecision.Outcome.ALLOWED;
    boolean named = policy.patterns().stream()
        .anyMatch(pattern -> pattern.trustDomain().equals(peer.getTrustDomain().getName()));
    boolean matched = policy.patterns().stream().anyMatch(pattern -> pattern.matches(peer.toString()));
    if (policy.patterns().isEmpty()) {
      assertThat(allowed).as("default policy on %s", peer)
          .isEqualTo(peer.memberOf(LOCAL.getTrustDomain()));
    } else {
      assertThat(allowed).as("%s on %s", policy, peer).isEqualTo(matched);
      if (allowed) {
        assertThat(named).as("%s allowed %s of an unnamed trust domain", policy, peer).isTrue();
      }
    }
    if (!allowed) {
      assertThat(decision.outcome()).isEqualTo(policy.auditMode()
          ? PeerDecision.Outcome.WOULD_DENY : PeerDecision.Outcome.DENIED);
      assertThat(decision.reason()).contains(peer.toString());
    }
  }

  /** The message quotes the offending entry and names the variable. */
  private static void assertNamesAnEntry(IllegalArgumentException e, String allowedPeers) {
    String message = e.getMessage();
    assertThat(message).as("message for %s", allowedPeers).contains(ConfigKeys.ALLOWED_PEERS.env());
    boolean quotesAnEntry = false;
    for (String entry : allowedPeers.split(",")) {
      String item = entry.trim();
      if (!item.isEmpty() && message.contains("\"" + item + "\"")) {
        quotesAnEntry = true;
      }
    }
    assertThat(quotesAnEntry).as("%s does not quote an entry of %s", message, allowedPeers).isTrue();
  }
}
