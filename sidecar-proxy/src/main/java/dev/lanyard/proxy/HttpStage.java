package dev.lanyard.proxy;

import io.netty.channel.ChannelPipeline;

/**
 * The handlers that parse an HTTP mesh port's requests and label them, in order:
 * <pre>
 * http-request-decoder → peer-id-header [→ jwt-svid] → http-upgrade
 * </pre>
 * installed once the first bytes are HTTP/1.x, and removed only when the app has accepted a
 * WebSocket upgrade (what follows its {@code 101} is no longer HTTP).
 */
final class HttpStage {
  static final String DECODER = "http-request-decoder";
  static final String PEER_ID = "peer-id-header";
  static final String JWT = "jwt-svid";
  static final String UPGRADE = "http-upgrade";

  private HttpStage() {}

  /** Adds the stage after {@code after}; {@code jwt} null: this port requires no JWT-SVID. */
  static void install(ChannelPipeline pipeline, String after, InboundJwt jwt, UpgradeTracker upgrades) {
    InboundRequestDecoder decoder = new InboundRequestDecoder();
    upgrades.requestsFrom(decoder);
    pipeline.addAfter(after, DECODER, decoder);
    pipeline.addAfter(DECODER, PEER_ID, new PeerIdHeaderHandler());
    String last = PEER_ID;
    if (jwt != null) {
      pipeline.addAfter(last, JWT, new InboundJwtHandler(jwt));
      last = JWT;
    }
    pipeline.addAfter(last, UPGRADE, new HttpUpgradeSwitch());
  }

  /**
   * After an accepted WebSocket upgrade: the labelling handlers go first, then the decoder, whose
   * removal hands the bytes it held (the first frames) on, raw, to the relay.
   */
  static void remove(ChannelPipeline pipeline) {
    for (String name : new String[] {UPGRADE, JWT, PEER_ID, DECODER}) {
      if (pipeline.get(name) != null) {
        pipeline.remove(name);
      }
    }
  }
}
