package dev.lanyard.compat;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
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
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throwaway CA and the PKCS#12 files the compat apps read in keystore mode: a server certificate
 * for {@code localhost}/{@code 127.0.0.1} that also carries a SPIFFE-style URI SAN, a client
 * certificate with only a URI SAN, and a trust store holding the CA. All use one password.
 */
public final class TestCertificates {
  public static final String TRUST_DOMAIN = "compat.test";
  public static final String SERVER_ID = "spiffe://compat.test/ns/x/sa/server";
  public static final String CLIENT_ID = "spiffe://compat.test/ns/x/sa/client";
  public static final String PASSWORD = "changeit";

  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  /** Where the files are. */
  public record Files(Path serverKeyStore, Path clientKeyStore, Path trustStore) {}

  private TestCertificates() {}

  /** Mints a CA, a server and a client certificate into {@code dir}. */
  public static Files write(Path dir) throws Exception {
    KeyPair caKeys = newKeyPair();
    X500Name caName = new X500Name("CN=compat test CA");
    Instant now = Instant.now();
    JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
    X509v3CertificateBuilder ca = new JcaX509v3CertificateBuilder(caName, serial(),
        Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(1))), caName,
        caKeys.getPublic());
    ca.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    ca.addExtension(Extension.keyUsage, true,
        new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    ca.addExtension(Extension.subjectKeyIdentifier, false,
        utils.createSubjectKeyIdentifier(caKeys.getPublic()));
    X509Certificate caCertificate = sign(ca, caKeys.getPrivate());

    List<GeneralName> serverNames = new ArrayList<>();
    serverNames.add(new GeneralName(GeneralName.dNSName, "localhost"));
    serverNames.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
    serverNames.add(new GeneralName(GeneralName.uniformResourceIdentifier, SERVER_ID));
    Path server = dir.resolve("server.p12");
    writeKeyStore(server, issue(caCertificate, caKeys, "CN=compat server", serverNames,
        KeyPurposeId.id_kp_serverAuth));

    Path client = dir.resolve("client.p12");
    writeKeyStore(client, issue(caCertificate, caKeys, "CN=compat client",
        List.of(new GeneralName(GeneralName.uniformResourceIdentifier, CLIENT_ID)),
        KeyPurposeId.id_kp_clientAuth));

    Path trust = dir.resolve("trust.p12");
    KeyStore trustStore = KeyStore.getInstance("PKCS12");
    trustStore.load(null, null);
    trustStore.setCertificateEntry("ca", caCertificate);
    try (OutputStream out = java.nio.file.Files.newOutputStream(trust)) {
      trustStore.store(out, PASSWORD.toCharArray());
    }
    return new Files(server, client, trust);
  }

  private record Issued(PrivateKey key, X509Certificate[] chain) {}

  private static Issued issue(X509Certificate caCertificate, KeyPair caKeys, String subject,
      List<GeneralName> names, KeyPurposeId purpose) throws Exception {
    KeyPair keys = newKeyPair();
    Instant now = Instant.now();
    JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(caCertificate, serial(),
        Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(1))),
        new X500Name(subject), keys.getPublic());
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    builder.addExtension(Extension.keyUsage, true,
        new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
    builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
    builder.addExtension(Extension.authorityKeyIdentifier, false,
        utils.createAuthorityKeyIdentifier(caCertificate));
    builder.addExtension(Extension.subjectAlternativeName, false,
        new GeneralNames(names.toArray(GeneralName[]::new)));
    X509Certificate certificate = sign(builder, caKeys.getPrivate());
    return new Issued(keys.getPrivate(), new X509Certificate[] {certificate, caCertificate});
  }

  private static void writeKeyStore(Path file, Issued issued)
      throws GeneralSecurityException, IOException {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry("key", issued.key(), PASSWORD.toCharArray(), issued.chain());
    try (OutputStream out = java.nio.file.Files.newOutputStream(file)) {
      store.store(out, PASSWORD.toCharArray());
    }
  }

  private static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key)
      throws GeneralSecurityException, OperatorCreationException {
    return new JcaX509CertificateConverter()
        .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
  }

  private static BigInteger serial() {
    return BigInteger.valueOf(SERIAL.incrementAndGet());
  }

  /** Writes the files into the directory given as the only argument (for manual runs). */
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    java.nio.file.Files.createDirectories(dir);
    System.out.println(write(dir));
  }
}
