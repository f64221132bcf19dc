package dev.lanyard.tls;

import io.spiffe.spiffeid.SpiffeId;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A test certificate authority that mints SPIFFE CAs, X.509-SVIDs and ordinary Web PKI certificates. */
final class TestCa {
  private static final AtomicLong SERIAL = new AtomicLong(0x1000);

  private final String trustDomain;
  private final KeyPair keys;
  private final X509Certificate certificate;
  /** Issuers above this CA (empty for a root), nearest first. */
  private final List<X509Certificate> parents;

  private TestCa(String trustDomain, KeyPair keys, X509Certificate certificate,
      List<X509Certificate> parents) {
    this.trustDomain = trustDomain;
    this.keys = keys;
    this.certificate = certificate;
    this.parents = parents;
  }

  /** A self-signed root for {@code trustDomain} (with the trust domain as URI SAN, as SPIRE does). */
  static TestCa root(String trustDomain) {
    KeyPair keys = newKeyPair("EC");
    Instant now = Instant.now();
    X500Name name = new X500Name("CN=" + trustDomain + " root,O=Lanyard test");
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, nextSerial(),
        Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))), name,
        keys.getPublic());
    caExtensions(builder, "spiffe://" + trustDomain);
    return new TestCa(trustDomain, keys, sign(builder, keys.getPrivate()), List.of());
  }

  /** An intermediate CA under this one. */
  TestCa intermediate() {
    KeyPair childKeys = newKeyPair("EC");
    Instant now = Instant.now();
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, nextSerial(),
        Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))),
        new X500Name("CN=" + trustDomain + " intermediate"), childKeys.getPublic());
    caExtensions(builder, "spiffe://" + trustDomain);
    List<X509Certificate> chainAbove = new ArrayList<>();
    chainAbove.add(certificate);
    chainAbove.addAll(parents);
    return new TestCa(trustDomain, childKeys, sign(builder, keys.getPrivate()), chainAbove);
  }

  X509Certificate certificate() {
    return certificate;
  }

  String trustDomain() {
    return trustDomain;
  }

  /** Bundles holding this CA's root for its trust domain. */
  TrustBundles bundles() {
    return TrustBundles.of(Map.of(trustDomain, Set.of(rootCertificate())));
  }

  X509Certificate rootCertificate() {
    return parents.isEmpty() ? certificate : parents.get(parents.size() - 1);
  }

  /** A leaf certificate request; defaults make a valid X.509-SVID. */
  Leaf leaf(String uri) {
    return new Leaf(uri);
  }

  /** A valid X.509-SVID for {@code spiffeId}. */
  Identity svid(String spiffeId) {
    return leaf(spiffeId).identity();
  }

  /** An ordinary (non-SPIFFE) TLS server certificate for {@code dnsName}. */
  Leaf webServer(String dnsName) {
    return new Leaf(null).dns(dnsName).subject("CN=" + dnsName);
  }

  private static void caExtensions(X509v3CertificateBuilder builder, String uri) {
    try {
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      builder.addExtension(Extension.keyUsage, true,
          new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
      builder.addExtension(Extension.subjectAlternativeName, false,
          new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, uri)));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static KeyPair newKeyPair(String algorithm) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
      if (algorithm.equals("EC")) {
        generator.initialize(new ECGenParameterSpec("secp256r1"));
      } else {
        generator.initialize(2048);
      }
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) {
    try {
      return new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static BigInteger nextSerial() {
    return BigInteger.valueOf(SERIAL.incrementAndGet()).shiftLeft(64).add(BigInteger.valueOf(
        System.nanoTime() & 0xffff));
  }

  /** Builder for one leaf. */
  final class Leaf {
    private final List<String> uris = new ArrayList<>();
    private final List<String> dnsNames = new ArrayList<>();
    private String subject = "O=SPIRE,C=US";
    private Instant notBefore = Instant.now().minus(Duration.ofMinutes(1));
    private Instant notAfter = Instant.now().plus(Duration.ofHours(1));
    private boolean ca;
    private int keyUsage = KeyUsage.digitalSignature | KeyUsage.keyEncipherment | KeyUsage.keyAgreement;
    private boolean withKeyUsage = true;
    private String keyAlgorithm = "EC";

    private Leaf(String uri) {
      if (uri != null) {
        uris.add(uri);
      }
    }

    Leaf uri(String uri) {
      uris.add(uri);
      return this;
    }

    Leaf noUris() {
      uris.clear();
      return this;
    }

    Leaf dns(String name) {
      dnsNames.add(name);
      return this;
    }

    Leaf subject(String value) {
      subject = value;
      return this;
    }

    Leaf validity(Instant from, Instant until) {
      notBefore = from;
      notAfter = until;
      return this;
    }

    Leaf ca(boolean value) {
      ca = value;
      return this;
    }

    Leaf keyUsage(int value) {
      keyUsage = value;
      return this;
    }

    Leaf withoutKeyUsage() {
      withKeyUsage = false;
      return this;
    }

    Leaf keyAlgorithm(String value) {
      keyAlgorithm = value;
      return this;
    }

    /** The leaf and its key; the chain is leaf plus intermediates (roots excluded). */
    Issued issue() {
      KeyPair leafKeys = newKeyPair(keyAlgorithm);
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, nextSerial(),
          Date.from(notBefore), Date.from(notAfter), new X500Name(subject), leafKeys.getPublic());
      try {
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        if (withKeyUsage) {
          builder.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
        }
        List<GeneralName> names = new ArrayList<>();
        uris.forEach(u -> names.add(new GeneralName(GeneralName.uniformResourceIdentifier, u)));
        dnsNames.forEach(d -> names.add(new GeneralName(GeneralName.dNSName, d)));
        if (!names.isEmpty()) {
          builder.addExtension(Extension.subjectAlternativeName, false,
              new GeneralNames(names.toArray(GeneralName[]::new)));
        }
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
      X509Certificate leaf = sign(builder, keys.getPrivate());
      List<X509Certificate> chain = new ArrayList<>();
      chain.add(leaf);
      if (!parents.isEmpty()) {
        chain.add(certificate);
        chain.addAll(parents.subList(0, parents.size() - 1));
      }
      return new Issued(chain, leafKeys.getPrivate());
    }

    Identity identity() {
      Issued issued = issue();
      return Identity.of(SpiffeId.parse(uris.get(0)), issued.chain(), issued.key());
    }

    X509Certificate[] chainArray() {
      return issue().chain().toArray(X509Certificate[]::new);
    }
  }

  record Issued(List<X509Certificate> chain, PrivateKey key) {
    X509Certificate leaf() {
      return chain.get(0);
    }
  }
}
