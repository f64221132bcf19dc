package dev.lanyard.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.testkit.TestPki.Issued;
import java.io.ByteArrayInputStream;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;

/**
 * A real X.509-SVID, issued by the test SPIRE to a workload attested by its gid, fetched with
 * {@code spire-agent api fetch x509 -output json} run as that gid: certificate chain and key in
 * this JVM's memory only (nothing written to disk), e.g. for an attacker's independent server.
 */
public final class WorkloadSvids {
  private WorkloadSvids() {}

  public static Issued fetch(SpireCluster spire, int gid) {
    Command.Result result = Command.run(Duration.ofSeconds(30), Command.asGid(gid, List.of(
        Tools.require("spire-agent").toString(), "api", "fetch", "x509",
        "-socketPath", spire.agentSocket().toString(), "-output", "json")));
    String output = result.orThrow();
    try {
      JsonNode svid = find(new ObjectMapper().readTree(output.substring(firstJson(output))));
      if (svid == null) {
        throw new IllegalStateException("no x509_svid in: " + output);
      }
      List<X509Certificate> chain = new ArrayList<>();
      for (java.security.cert.Certificate certificate : CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(
              Base64.getDecoder().decode(svid.path("x509_svid").asText())))) {
        chain.add((X509Certificate) certificate);
      }
      PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(
          Base64.getDecoder().decode(svid.path("x509_svid_key").asText())));
      return new Issued(chain.get(0), key, List.copyOf(chain));
    } catch (Exception e) {
      throw new IllegalStateException("cannot read the SVID fetched for gid " + gid + ": " + e, e);
    }
  }

  private static int firstJson(String output) {
    int object = output.indexOf('{');
    int array = output.indexOf('[');
    return array >= 0 && (object < 0 || array < object) ? array : Math.max(object, 0);
  }

  /** The first object holding both {@code x509_svid} and {@code x509_svid_key}. */
  private static JsonNode find(JsonNode node) {
    if (node.has("x509_svid") && node.has("x509_svid_key")) {
      return node;
    }
    for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
      JsonNode found = find(it.next());
      if (found != null) {
        return found;
      }
    }
    return null;
  }
}
