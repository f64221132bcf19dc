package dev.lanyard.proxy;

import dev.lanyard.config.InboundPorts;

/**
 * One {@code LANYARD_INBOUND} entry (parsed by lanyard-config's {@link InboundPorts}): mTLS on {@code meshPort}, plain to {@code 127.0.0.1:appPort}.
 * An HTTP port ({@code meshPort:appPort}, the default) parses every request and promises the app
 * the identity headers; a raw port ({@code meshPort:appPort/tcp}) relays bytes and promises none.
 */
record InboundRoute(int meshPort, int appPort, boolean raw) {
  static final String RAW_SUFFIX = InboundPorts.RAW_SUFFIX;

  @Override
  public String toString() {
    return meshPort + ":" + appPort + (raw ? RAW_SUFFIX : "");
  }
}
