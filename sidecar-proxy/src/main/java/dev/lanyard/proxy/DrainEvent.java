package dev.lanyard.proxy;

/**
 * Fired into every open connection when the sidecar starts draining. Handlers that know where a
 * protocol's message boundaries are act on it (the forward proxy closes a keep-alive connection
 * between requests, or asks the client to close after the current response); raw TCP relays
 * cannot know, so they simply run until they end or the grace period does.
 */
enum DrainEvent {
  INSTANCE
}
