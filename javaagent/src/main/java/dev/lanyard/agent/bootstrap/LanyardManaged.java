package dev.lanyard.agent.bootstrap;

/**
 * Marks key and trust managers that Lanyard made, so that an SSLContext initialised with them
 * (by Lanyard, or by Netty after our builder hook) is left as it is.
 */
public interface LanyardManaged {}
