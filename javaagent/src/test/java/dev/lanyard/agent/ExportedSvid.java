package dev.lanyard.agent;

import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.Tools;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.Collection;
import java.util.List;

/**
 * An SVID written to disk by {@code spire-agent api fetch x509 -write}, for tests only: a plain
 * (agent-less) JVM that must present a real SVID of another trust domain. Lanyard itself never
 * writes keys.
 */
record ExportedSvid(List<Certificate> chain, PrivateKey key) {
  static ExportedSvid fetch(SpireCluster spire, int gid, Path dir) throws Exception {
    Files.createDirectories(dir);
    Command.run(Duration.ofSeconds(30), Command.asGid(gid, List.of(
        Tools.require("spire-agent").toString(), "api", "fetch", "x509",
        "-socketPath", spire.agentSocket().toString(), "-write", dir.toString()))).orThrow();
    Collection<? extends Certificate> chain = CertificateFactory.getInstance("X.509")
        .generateCertificates(Files.newInputStream(dir.resolve("svid.0.pem")));
    String keyPem = Files.readString(dir.resolve("svid.0.key"));
    byte[] der = Base64.getMimeDecoder().decode(keyPem.replaceAll("-----[A-Z ]+-----", ""));
    PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
    return new ExportedSvid(List.copyOf(chain), key);
  }

  void writeKeyStore(Path file, String password) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry("svid", key, password.toCharArray(), chain.toArray(Certificate[]::new));
    try (OutputStream out = Files.newOutputStream(file)) {
      store.store(out, password.toCharArray());
    }
  }

  static void writeTrustStore(String bundlePem, Path file, String password) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    int i = 0;
    for (Certificate ca : CertificateFactory.getInstance("X.509").generateCertificates(
        new ByteArrayInputStream(bundlePem.getBytes(StandardCharsets.US_ASCII)))) {
      store.setCertificateEntry("ca-" + i++, ca);
    }
    try (OutputStream out = Files.newOutputStream(file)) {
      store.store(out, password.toCharArray());
    }
  }
}
