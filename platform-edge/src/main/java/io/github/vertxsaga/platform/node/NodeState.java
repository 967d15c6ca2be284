package io.github.vertxsaga.platform.node;

import java.util.UUID;

/**
 * Where a node is in its life, read by its HTTP handlers: {@code /ready} says 503 until the node is ready and again
 * once it drains, and while it drains every answer closes its connection.
 */
public final class NodeState {
  private final String instanceId = UUID.randomUUID().toString();
  private volatile boolean ready;
  private volatile boolean draining;

  /** This run of the node: in its discovery record, and in the {@code X-Served-By} of a service's answers. */
  public String instanceId() {
    return instanceId;
  }

  /** Deployed and published: the gateway may route here. */
  public boolean ready() {
    return ready;
  }

  /** Stopping: keep answering, but tell clients not to reuse the connection. */
  public boolean draining() {
    return draining;
  }

  void markReady() {
    ready = true;
  }

  void markDraining() {
    ready = false;
    draining = true;
  }
}
