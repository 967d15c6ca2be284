package io.github.vertxsaga.gateway;

import io.github.vertxsaga.platform.discovery.ServiceRegistration;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.json.JsonObject;
import io.vertx.servicediscovery.Record;
import java.util.concurrent.atomic.AtomicLong;

/** One discovered instance of a service, with its own circuit breaker and traffic counter. */
final class Upstream {
  final String service;
  final String registration;
  final String host;
  final int port;
  final String node;
  final CircuitBreaker breaker;
  final AtomicLong routed = new AtomicLong();

  Upstream(Record record, CircuitBreaker breaker) {
    this.service = record.getName();
    this.registration = record.getRegistration();
    this.host = record.getLocation().getString("host");
    this.port = record.getLocation().getInteger("port");
    this.node = record.getMetadata() == null ? null : record.getMetadata().getString(ServiceRegistration.NODE);
    this.breaker = breaker;
  }

  boolean accepting() {
    return breaker.state() != CircuitBreakerState.OPEN;
  }

  String address() {
    return host + ":" + port;
  }

  JsonObject toJson() {
    return new JsonObject()
        .put("service", service)
        .put("instance", breaker.name())
        .put("host", host)
        .put("port", port)
        .put("node", node)
        .put("registration", registration)
        .put("status", "UP")
        .put("circuitBreaker", breaker.state().name())
        .put("requestsRouted", routed.get());
  }
}
