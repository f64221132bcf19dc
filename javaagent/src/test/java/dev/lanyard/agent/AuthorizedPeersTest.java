package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.lang.ref.WeakReference;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

class AuthorizedPeersTest {
  /**
   * Two handshakes with the same peer SVID give two equal certificate objects. When the first
   * one's sessions are gone and it is collected, the leaf must still count as authorized for the
   * second handshake's session, which holds the other object.
   */
  @Test
  void anEqualLeafFromALaterHandshakeStaysAuthorizedWhenTheFirstObjectIsCollected()
      throws Exception {
    byte[] der = selfSigned();
    AuthorizedPeers peers = new AuthorizedPeers();
    X509Certificate first = parse(der);
    peers.add(first, "orders");
    X509Certificate second = parse(der); // the same SVID, from a later handshake
    assertThat(second).isEqualTo(first).isNotSameAs(first);
    peers.add(second, "orders");

    WeakReference<X509Certificate> firstRef = new WeakReference<>(first);
    first = null;
    for (int i = 0; i < 50 && firstRef.get() != null; i++) {
      System.gc();
      Thread.sleep(20);
    }

    assertThat(firstRef.get()).as("the first handshake's leaf object was collected").isNull();
    assertThat(peers.contains(second)).isTrue();
  }

  /** Secure naming: an SVID accepted for one mesh host is no identity for another host. */
  @Test
  void aLeafCountsOnlyForTheHostItWasAcceptedFor() throws Exception {
    AuthorizedPeers peers = new AuthorizedPeers();
    X509Certificate leaf = parse(selfSigned());
    peers.onSpiffePeer(leaf, dev.lanyard.tls.Direction.OUTBOUND, "Orders.Prod.");
    javax.net.ssl.SSLSession session = sessionWith(leaf);

    assertThat(peers.containsFor(session, "orders.prod")).isTrue();
    assertThat(peers.containsFor(session, "ORDERS.prod.")).isTrue();
    assertThat(peers.containsFor(session, "api.stripe.com")).isFalse();
    assertThat(peers.containsFor(session, null)).isFalse();
    assertThat(peers.containsFor(sessionWith(parse(selfSigned())), "orders.prod")).isFalse();
  }

  /** A session whose only answer is its peer chain (pure data for the lookup). */
  private static javax.net.ssl.SSLSession sessionWith(X509Certificate leaf) {
    return (javax.net.ssl.SSLSession) java.lang.reflect.Proxy.newProxyInstance(
        AuthorizedPeersTest.class.getClassLoader(), new Class<?>[] {javax.net.ssl.SSLSession.class},
        (proxy, method, args) -> {
          if (method.getName().equals("getPeerCertificates")) {
            return new java.security.cert.Certificate[] {leaf};
          }
          throw new UnsupportedOperationException(method.getName());
        });
  }

  /** A new object each time (the JDK's factory would hand back a cached one). */
  private static X509Certificate parse(byte[] der) throws Exception {
    return (X509Certificate) CertificateFactory.getInstance("X.509", new BouncyCastleProvider())
        .generateCertificate(new ByteArrayInputStream(der));
  }

  private static byte[] selfSigned() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(256);
    KeyPair keys = generator.generateKeyPair();
    X500Name name = new X500Name("O=SPIRE,C=US");
    long now = System.currentTimeMillis();
    return new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now), new Date(now - 60_000),
        new Date(now + 3_600_000), name, keys.getPublic())
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()))
        .getEncoded();
  }
}
