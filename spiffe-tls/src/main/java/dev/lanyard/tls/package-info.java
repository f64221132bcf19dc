/**
 * Lanyard's shared TLS core, used by the javaagent and the sidecar.
 *
 * <p>Pure decisions ({@link dev.lanyard.tls.PeerPolicy}, {@link dev.lanyard.tls.SvidValidator},
 * {@link dev.lanyard.config.StartupPolicy}, {@link dev.lanyard.tls.LanyardConfig}) are separate from
 * the live parts ({@link dev.lanyard.tls.WorkloadApiSvidSource} over the SPIRE Workload API,
 * {@link dev.lanyard.tls.AdminServer}). {@link dev.lanyard.tls.LanyardTls} wires them together.
 *
 * <p>This package compiles for Java 11: it is loaded inside the javaagent.
 */
package dev.lanyard.tls;
