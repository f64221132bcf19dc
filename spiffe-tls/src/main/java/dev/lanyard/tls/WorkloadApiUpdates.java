package dev.lanyard.tls;

import com.google.protobuf.ByteString;
import dev.lanyard.tls.workloadapi.proto.Workload;
import io.spiffe.bundle.jwtbundle.JwtBundle;
import io.spiffe.bundle.jwtbundle.JwtBundleSet;
import io.spiffe.bundle.x509bundle.X509Bundle;
import io.spiffe.bundle.x509bundle.X509BundleSet;
import io.spiffe.exception.InvalidSpiffeIdException;
import io.spiffe.exception.JwtBundleException;
import io.spiffe.exception.X509BundleException;
import io.spiffe.exception.X509ContextException;
import io.spiffe.exception.X509SvidException;
import io.spiffe.spiffeid.SpiffeId;
import io.spiffe.spiffeid.TrustDomain;
import io.spiffe.svid.x509svid.X509Svid;
import io.spiffe.workloadapi.X509Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Workload API messages into java-spiffe's types, parsed by java-spiffe (X.509-SVID, X.509 and
 * JWT bundles, SPIFFE IDs) with the same rules and messages as its own gRPC client, so that
 * {@link JavaSpiffeRejections} names the same reasons. Unlike that client, an update java-spiffe
 * throws an unchecked exception on (a SPIFFE ID it cannot parse) is a rejected update here too,
 * and the stream is kept.
 */
final class WorkloadApiUpdates {
  private WorkloadApiUpdates() {}

  /** The update's SVIDs and bundles, or the rejection that names what is wrong with it. */
  static X509Context x509Context(Workload.X509SVIDResponse response) throws InvalidSvidException {
    try {
      if (response.getSvidsCount() == 0) {
        throw new X509ContextException("X.509 Context response from the Workload API is empty");
      }
      List<X509Svid> svids = new ArrayList<>();
      List<X509Bundle> bundles = new ArrayList<>();
      for (Workload.X509SVID svid : response.getSvidsList()) {
        svids.add(svid(svid));
        bundles.add(x509Bundle(SpiffeId.parse(svid.getSpiffeId()).getTrustDomain(), svid.getBundle()));
      }
      for (Map.Entry<String, ByteString> federated : response.getFederatedBundlesMap().entrySet()) {
        bundles.add(x509Bundle(TrustDomain.parse(federated.getKey()), federated.getValue()));
      }
      return X509Context.of(svids, X509BundleSet.of(bundles));
    } catch (X509ContextException | RuntimeException e) {
      throw JavaSpiffeRejections.decodingFailed(e);
    }
  }

  /** The JWT bundles of a {@code JWTBundlesResponse}. */
  static JwtBundleSet jwtBundles(Workload.JWTBundlesResponse response) throws JwtBundleException {
    if (response.getBundlesCount() == 0) {
      throw new JwtBundleException("JWT Bundle response from the Workload API is empty");
    }
    List<JwtBundle> bundles = new ArrayList<>();
    for (Map.Entry<String, ByteString> entry : response.getBundlesMap().entrySet()) {
      try {
        bundles.add(JwtBundle.parse(TrustDomain.parse(entry.getKey()), entry.getValue().toByteArray()));
      } catch (InvalidSpiffeIdException e) {
        throw new JwtBundleException("JWT bundle of \"" + entry.getKey() + "\": " + e.getMessage(), e);
      }
    }
    return JwtBundleSet.of(bundles);
  }

  private static X509Svid svid(Workload.X509SVID message) throws X509ContextException {
    X509Svid svid;
    try {
      svid = X509Svid.parseRaw(message.getX509Svid().toByteArray(),
          message.getX509SvidKey().toByteArray());
    } catch (X509SvidException e) {
      throw new X509ContextException("X.509 SVID response could not be processed", e);
    }
    String inCertificate = svid.getSpiffeId().toString();
    if (!inCertificate.equals(message.getSpiffeId().trim())) {
      throw new X509ContextException("SPIFFE ID in X509SVIDResponse (" + message.getSpiffeId()
          + ") does not match SPIFFE ID in X.509 certificate (" + inCertificate + ")");
    }
    return svid;
  }

  private static X509Bundle x509Bundle(TrustDomain trustDomain, ByteString der)
      throws X509ContextException {
    try {
      return X509Bundle.parse(trustDomain, der.toByteArray());
    } catch (X509BundleException e) {
      throw new X509ContextException("X.509 Bundles could not be processed", e);
    }
  }
}
