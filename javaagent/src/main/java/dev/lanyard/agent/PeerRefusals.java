package dev.lanyard.agent;

import java.util.Optional;

/** Words a server's refusal of our SVID: spiffe-tls's {@code LanyardTls#refusedByPeer}. */
@FunctionalInterface
interface PeerRefusals {
  Optional<String> refusedByPeer(String peerAddress, String peerSpiffeId, String tlsMessage);
}
