package dev.lanyard.proxy;

/** One {@code LANYARD_INBOUND} entry: mTLS on {@code meshPort}, plain to {@code 127.0.0.1:appPort}. */
record InboundRoute(int meshPort, int appPort) {
  @Override
  public String toString() {
    return meshPort + ":" + appPort;
  }
}
