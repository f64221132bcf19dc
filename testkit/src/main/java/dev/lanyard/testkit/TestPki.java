package dev.lanyard.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throwaway certificate authority for test infrastructure (the kube-apiserver's serving and
 * client certificates, a webhook's serving certificate, an ordinary "public" HTTPS server).
 * Lanyard's own identities never come from here: they come from SPIRE.
 *
 * <p>For peer-verification tests it also mints deliberately bad X.509-SVIDs ({@link #flawedSvid}, {@link #leaf()}):
 * signed by a test SPIRE server's own CA ({@link #ofSpireServer}) so that exactly one rule is
 * broken, by a look-alike CA ({@link #lookalike}), or by an intermediate ({@link #intermediate})
 * that the peer then leaves out of its chain ({@link Issued#leafOnly()}).
 */
public final class TestPki {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  /** A certificate, its key and its chain (the certificate first, then its issuers up to the root). */
  public record Issued(X509Certificate certificate, PrivateKey key, List<X509Certificate> chain) {
    /** The same certificate and key, presented without any issuer (a truncated chain). */
    public Issued leafOnly() {
      return new Issued(certificate, key, List.of(certificate));
    }

    /**
     * A TLS context that always presents this chain, whatever the peer asks for (the JDK would
     * otherwise refuse to send an expired certificate or one from an issuer the peer did not
     * name), and that trusts any peer: a misbehaving peer for tests of the other side's checks.
     */
    public SSLContext presentingContext() {
      try {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(new KeyManager[] {new FixedKeyManager(this)},
            new TrustManager[] {new TrustEveryPeer()}, null);
        return context;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("cannot build TLS context", e);
      }
    }

    public String certificatePem() {
      return pem(certificate);
    }

    /** PKCS#8 PEM ("PRIVATE KEY"), which Go, OpenSSL and Java all read. */
    public String keyPem() {
      return pkcs8Pem(key);
    }

    /** A PKCS#12-style in-memory key store holding this key under alias "key". */
    public KeyStore keyStore(char[] password) {
      try {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("key", key, password, chain.toArray(X509Certificate[]::new));
        return store;
      } catch (GeneralSecurityException | IOException e) {
        throw new IllegalStateException("cannot build key store", e);
      }
    }
  }

  private final PrivateKey caKey;
  private final X509Certificate caCertificate;
  /** This CA's certificate, then its issuers up to the root. */
  private final List<X509Certificate> caChain;

  private TestPki(PrivateKey caKey, X509Certificate caCertificate, List<X509Certificate> caChain) {
    this.caKey = caKey;
    this.caCertificate = caCertificate;
    this.caChain = List.copyOf(caChain);
  }

  /** A new root CA valid for a day. */
  public static TestPki create(String commonName) {
    return createRoot(new X500Name("CN=" + commonName));
  }

  /** Issues with a CA whose certificate and key you already hold (an EC P-256 key). */
  public static TestPki of(X509Certificate caCertificate, PrivateKey caKey) {
    return new TestPki(caKey, caCertificate, List.of(caCertificate));
  }

  /**
   * Issues with the X.509 CA of a running test SPIRE server, whose disk key manager keeps its
   * keys in {@code server-data/keys.json} ({"keys": {id: base64 PKCS#8}}): certificates from
   * here chain to the real trust bundle, so a test can break exactly one X.509-SVID rule.
   */
  public static TestPki ofSpireServer(SpireCluster spire) {
    List<X509Certificate> authorities = parseCertificates(spire.bundlePem());
    Path keysFile = spire.directory().resolve("server-data").resolve("keys.json");
    try {
      JsonNode keys = new ObjectMapper().readTree(Files.readString(keysFile)).path("keys");
      KeyFactory ec = KeyFactory.getInstance("EC");
      for (Iterator<JsonNode> it = keys.elements(); it.hasNext(); ) {
        PrivateKey key;
        try {
          key = ec.generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(it.next().asText())));
        } catch (GeneralSecurityException notEc) {
          continue;
        }
        for (X509Certificate authority : authorities) {
          if (matches(key, authority)) {
            return of(authority, key);
          }
        }
      }
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot read SPIRE's CA key from " + keysFile, e);
    }
    throw new IllegalStateException("no key in " + keysFile + " belongs to a bundle authority of "
        + spire.trustDomain());
  }

  /**
   * A root CA with the same subject name (and so the same issuer name in what it signs) as {@code
   * authority}, but its own key: what it issues looks right and verifies against nothing.
   */
  public static TestPki lookalike(X509Certificate authority) {
    return createRoot(X500Name.getInstance(authority.getSubjectX500Principal().getEncoded()));
  }

  /** An intermediate CA signed by this CA; what it issues carries the whole chain. */
  public TestPki intermediate(String commonName) {
    KeyPair keys = newKeyPair("EC");
    try {
      Instant now = Instant.now();
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(caCertificate,
          nextSerial(), Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(1))),
          new X500Name("CN=" + commonName), keys.getPublic());
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      builder.addExtension(Extension.keyUsage, true,
          new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      builder.addExtension(Extension.subjectKeyIdentifier, false,
          utils.createSubjectKeyIdentifier(keys.getPublic()));
      builder.addExtension(Extension.authorityKeyIdentifier, false,
          utils.createAuthorityKeyIdentifier(caCertificate));
      X509Certificate certificate = sign(builder, caKey);
      List<X509Certificate> chain = new ArrayList<>();
      chain.add(certificate);
      chain.addAll(caChain);
      return new TestPki(keys.getPrivate(), certificate, chain);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot create intermediate CA", e);
    }
  }

  /** A valid X.509-SVID for {@code spiffeId} from this CA: one URI SAN, no DNS name. */
  public Issued svid(String spiffeId) {
    return leaf().uri(spiffeId).issue();
  }

  /**
   * What a peer presents when its X.509-SVID breaks one rule; everything else is as in {@link
   * #svid}. Use with the trust domain's own CA ({@link #ofSpireServer}) so that the flaw is the
   * only thing wrong.
   */
  public enum SvidFlaw {
    /** The same path in another trust domain ({@code foreign.test}), signed by this CA. */
    WRONG_TRUST_DOMAIN,
    /** Signed by a CA with this CA's name but another key. */
    UNKNOWN_CA,
    /** Valid from two hours ago until one hour ago. */
    EXPIRED,
    /** Valid from one hour from now. */
    NOT_YET_VALID,
    /** basicConstraints CA=true. */
    LEAF_IS_CA,
    /** keyUsage keyCertSign besides digitalSignature. */
    LEAF_KEY_CERT_SIGN,
    /** A DNS name (localhost) but no URI SAN. */
    NO_URI_SAN,
    /** The ID and a second spiffe:// URI SAN ({@code .../second}). */
    TWO_URI_SANS,
    /** The ID with the https scheme instead of spiffe. */
    NON_SPIFFE_URI,
    /** Issued by an intermediate of this CA, presented without the intermediate. */
    TRUNCATED_CHAIN,
    /** A spiffe:// URI SAN that is no valid SPIFFE ID: an empty path segment ({@code ns//x}). */
    MALFORMED_SPIFFE_ID,
    /**
     * The ID with its trust domain in upper case: the SPIFFE ID spec allows only lower case, and
     * java-spiffe's parser lower-cases it instead of refusing it.
     */
    UPPER_CASE_TRUST_DOMAIN;

    /** The spiffe:// ID the flawed certificate claims (its first one); null when it claims none. */
    public String claimedId(String spiffeId) {
      switch (this) {
        case WRONG_TRUST_DOMAIN:
          return otherTrustDomain(spiffeId);
        case NO_URI_SAN:
        case NON_SPIFFE_URI:
          return null;
        case MALFORMED_SPIFFE_ID:
          return emptySegment(spiffeId);
        case UPPER_CASE_TRUST_DOMAIN:
          return upperCaseTrustDomain(spiffeId);
        default:
          return spiffeId;
      }
    }

    private static String emptySegment(String spiffeId) {
      return spiffeId.replaceFirst("^(spiffe://[^/]+/[^/]+)/", "$1//");
    }

    private static String upperCaseTrustDomain(String spiffeId) {
      if (!spiffeId.startsWith("spiffe://")) {
        throw new IllegalArgumentException("not a SPIFFE ID: " + spiffeId);
      }
      int start = "spiffe://".length();
      int slash = spiffeId.indexOf('/', start);
      int end = slash < 0 ? spiffeId.length() : slash; // an ID without a path is the trust domain alone
      return spiffeId.substring(0, start)
          + spiffeId.substring(start, end).toUpperCase(java.util.Locale.ROOT)
          + spiffeId.substring(end);
    }

    private static String otherTrustDomain(String spiffeId) {
      return spiffeId.replaceFirst("^spiffe://[^/]+", "spiffe://foreign.test");
    }
  }

  /** An X.509-SVID for {@code spiffeId} with exactly one {@code flaw}. */
  public Issued flawedSvid(SvidFlaw flaw, String spiffeId) {
    Instant now = Instant.now();
    switch (flaw) {
      case WRONG_TRUST_DOMAIN:
        return svid(SvidFlaw.otherTrustDomain(spiffeId));
      case UNKNOWN_CA:
        return lookalike(caCertificate).svid(spiffeId);
      case EXPIRED:
        return leaf().uri(spiffeId).validity(now.minus(Duration.ofHours(2)), now.minus(Duration.ofHours(1))).issue();
      case NOT_YET_VALID:
        return leaf().uri(spiffeId).validity(now.plus(Duration.ofHours(1)), now.plus(Duration.ofHours(2))).issue();
      case LEAF_IS_CA:
        return leaf().uri(spiffeId).ca().issue();
      case LEAF_KEY_CERT_SIGN:
        return leaf().uri(spiffeId).keyCertSign().issue();
      case NO_URI_SAN:
        return leaf().dnsName("localhost").issue();
      case TWO_URI_SANS:
        return leaf().uri(spiffeId).uri(spiffeId + "/second").issue();
      case NON_SPIFFE_URI:
        return leaf().uri(spiffeId.replaceFirst("^spiffe:", "https:")).issue();
      case TRUNCATED_CHAIN:
        return intermediate("lanyard-test-intermediate").svid(spiffeId).leafOnly();
      case MALFORMED_SPIFFE_ID:
      case UPPER_CASE_TRUST_DOMAIN:
        return leaf().uri(flaw.claimedId(spiffeId)).issue();
      default:
        throw new IllegalArgumentException(flaw.name());
    }
  }

  /** A leaf certificate, shaped by the builder (by default a valid URI-less client/server leaf). */
  public LeafBuilder leaf() {
    return new LeafBuilder();
  }

  private static TestPki createRoot(X500Name name) {
    KeyPair keys = newKeyPair("EC");
    try {
      Instant now = Instant.now();
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, nextSerial(),
          Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(1))), name,
          keys.getPublic());
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      builder.addExtension(Extension.keyUsage, true,
          new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      builder.addExtension(Extension.subjectKeyIdentifier, false,
          utils.createSubjectKeyIdentifier(keys.getPublic()));
      X509Certificate certificate = sign(builder, keys.getPrivate());
      return new TestPki(keys.getPrivate(), certificate, List.of(certificate));
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot create test CA", e);
    }
  }

  public X509Certificate caCertificate() {
    return caCertificate;
  }

  public String caPem() {
    return pem(caCertificate);
  }

  /** A trust store holding only this CA. */
  public KeyStore trustStore() {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setCertificateEntry("ca", caCertificate);
      return store;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build trust store", e);
    }
  }

  /** A TLS server certificate for the given DNS names and IP addresses. */
  public Issued server(String commonName, List<String> dnsNames, List<String> ipAddresses) {
    List<GeneralName> names = new ArrayList<>();
    dnsNames.forEach(dns -> names.add(new GeneralName(GeneralName.dNSName, dns)));
    ipAddresses.forEach(ip -> names.add(new GeneralName(GeneralName.iPAddress, ip)));
    return issue("CN=" + commonName, names, KeyPurposeId.id_kp_serverAuth, "EC");
  }

  /** A TLS client certificate; {@code organization} becomes Kubernetes group membership. */
  public Issued client(String commonName, String organization) {
    String subject = "CN=" + commonName + (organization == null ? "" : ",O=" + organization);
    return issue(subject, List.of(), KeyPurposeId.id_kp_clientAuth, "EC");
  }

  private Issued issue(String subject, List<GeneralName> sans, KeyPurposeId purpose, String algo) {
    KeyPair keys = newKeyPair(algo);
    try {
      Instant now = Instant.now();
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(caCertificate,
          nextSerial(), Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(1))),
          new X500Name(subject), keys.getPublic());
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.keyUsage, true,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
      builder.addExtension(Extension.authorityKeyIdentifier, false,
          utils.createAuthorityKeyIdentifier(caCertificate));
      if (!sans.isEmpty()) {
        builder.addExtension(Extension.subjectAlternativeName, false,
            new GeneralNames(sans.toArray(GeneralName[]::new)));
      }
      X509Certificate certificate = sign(builder, caKey);
      return new Issued(certificate, keys.getPrivate(), withIssuers(certificate));
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot issue " + subject, e);
    }
  }

  /**
   * Builds one leaf. Defaults: valid from a minute ago for an hour, not a CA, keyUsage
   * digitalSignature, extendedKeyUsage serverAuth and clientAuth, no SAN; each setter changes one
   * thing, so a test can break exactly one X.509-SVID rule.
   */
  public final class LeafBuilder {
    private String subject = "O=lanyard-test";
    private final List<GeneralName> names = new ArrayList<>();
    private Instant notBefore = Instant.now().minusSeconds(60);
    private Instant notAfter = Instant.now().plus(Duration.ofHours(1));
    private boolean ca;
    private int keyUsage = KeyUsage.digitalSignature;

    private LeafBuilder() {}

    public LeafBuilder subject(String distinguishedName) {
      this.subject = distinguishedName;
      return this;
    }

    /** Adds a URI SAN (call twice for two). */
    public LeafBuilder uri(String uri) {
      names.add(new GeneralName(GeneralName.uniformResourceIdentifier, uri));
      return this;
    }

    public LeafBuilder dnsName(String dnsName) {
      names.add(new GeneralName(GeneralName.dNSName, dnsName));
      return this;
    }

    public LeafBuilder validity(Instant from, Instant until) {
      this.notBefore = from;
      this.notAfter = until;
      return this;
    }

    /** basicConstraints CA=true. */
    public LeafBuilder ca() {
      this.ca = true;
      return this;
    }

    /** Adds keyCertSign to the key usage. */
    public LeafBuilder keyCertSign() {
      this.keyUsage |= KeyUsage.keyCertSign;
      return this;
    }

    public Issued issue() {
      KeyPair keys = newKeyPair("EC");
      try {
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(caCertificate,
            nextSerial(), Date.from(notBefore), Date.from(notAfter), new X500Name(subject),
            keys.getPublic());
        JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
            new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        builder.addExtension(Extension.authorityKeyIdentifier, false,
            utils.createAuthorityKeyIdentifier(caCertificate));
        if (!names.isEmpty()) {
          builder.addExtension(Extension.subjectAlternativeName, false,
              new GeneralNames(names.toArray(GeneralName[]::new)));
        }
        X509Certificate certificate = sign(builder, caKey);
        return new Issued(certificate, keys.getPrivate(), withIssuers(certificate));
      } catch (GeneralSecurityException | IOException e) {
        throw new IllegalStateException("cannot issue leaf " + names, e);
      }
    }
  }

  private List<X509Certificate> withIssuers(X509Certificate certificate) {
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(certificate);
    chain.addAll(caChain);
    return List.copyOf(chain);
  }

  /** Whether {@code ca}'s key signed {@code leaf}. */
  public static boolean signedBy(X509Certificate leaf, X509Certificate ca) {
    try {
      leaf.verify(ca.getPublicKey());
      return true;
    } catch (java.security.GeneralSecurityException e) {
      return false;
    }
  }

  /** Every certificate in a PEM text, in order. */
  public static List<X509Certificate> parseCertificates(String pem) {
    try {
      List<X509Certificate> certificates = new ArrayList<>();
      for (java.security.cert.Certificate certificate : CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
        certificates.add((X509Certificate) certificate);
      }
      return certificates;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot parse certificates", e);
    }
  }

  /** Whether {@code key} is the private half of {@code certificate}'s public key (EC). */
  private static boolean matches(PrivateKey key, X509Certificate certificate) {
    try {
      Signature signer = Signature.getInstance("SHA256withECDSA");
      signer.initSign(key);
      byte[] probe = "lanyard-testkit".getBytes(StandardCharsets.US_ASCII);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance("SHA256withECDSA");
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** Always offers the one chain it holds, for either end of a handshake. */
  private static final class FixedKeyManager extends X509ExtendedKeyManager {
    private static final String ALIAS = "fixed";
    private final Issued issued;

    FixedKeyManager(Issued issued) {
      this.issued = issued;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return new String[] {ALIAS};
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return ALIAS;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      return ALIAS;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return new String[] {ALIAS};
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return ALIAS;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      return ALIAS;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return issued.chain().toArray(X509Certificate[]::new);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return issued.key();
    }
  }

  /** The misbehaving peer does not judge the other side: the test is about the other side's checks. */
  private static final class TrustEveryPeer extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  /** PEM text of a certificate, key or public key. */
  public static String pem(Object object) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(object);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /** A private key as PKCS#8 PEM (named-curve EC keys stay parseable by Go's crypto/tls). */
  public static String pkcs8Pem(PrivateKey key) {
    return "-----BEGIN PRIVATE KEY-----\n"
        + java.util.Base64.getMimeEncoder(64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
            .encodeToString(key.getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
  }

  public static KeyPair newKeyPair(String algorithm) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
      if ("EC".equals(algorithm)) {
        generator.initialize(new ECGenParameterSpec("secp256r1"));
      } else {
        generator.initialize(2048);
      }
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate " + algorithm + " key", e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key)
      throws GeneralSecurityException {
    try {
      ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(key);
      return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    } catch (org.bouncycastle.operator.OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static BigInteger nextSerial() {
    return BigInteger.valueOf(SERIAL.incrementAndGet());
  }
}
