package io.github.vertxsaga.gateway;

import io.vertx.core.file.FileSystem;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.SchemaException;
import io.vertx.json.schema.SchemaRepository;
import io.vertx.json.schema.Validator;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.OpenAPIVersion;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.contract.Path;
import io.vertx.openapi.contract.SecurityRequirement;
import io.vertx.openapi.contract.SecurityScheme;
import io.vertx.openapi.contract.Server;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The contract with one schema validator per parameter and request body, built once at start.
 *
 * <p>vertx-openapi's request validator asks the contract's schema repository for a validator on every request, for
 * every parameter, and the repository builds a new one each time by copying its whole lookup table (every schema of
 * the contract and the OpenAPI meta-schemas). Under load that copy was over a third of the gateway's CPU. A validator
 * only reads its table and keeps no state between calls, so the same one serves every request, on every event loop.
 */
final class PrebuiltValidators {
  private PrebuiltValidators() {
  }

  /** The contract, answering every validator request for its own parameters and bodies from a prebuilt table. */
  static OpenAPIContract of(OpenAPIContract contract) {
    SchemaRepository repository = contract.getSchemaRepository();
    Map<JsonSchema, Validator> validators = new IdentityHashMap<>(); // read-only once built: safe to share
    for (Operation operation : contract.operations()) {
      for (Parameter parameter : operation.getParameters()) {
        validators.computeIfAbsent(parameter.getSchema(), repository::validator);
      }
      if (operation.getRequestBody() != null) {
        for (MediaType mediaType : operation.getRequestBody().getContent().values()) {
          validators.computeIfAbsent(mediaType.getSchema(), repository::validator);
        }
      }
    }
    return new Contract(contract, new Repository(repository, validators));
  }

  /** The schema repository: prebuilt validators for the contract's own schemas, the delegate for anything else. */
  private record Repository(SchemaRepository delegate, Map<JsonSchema, Validator> validators)
      implements SchemaRepository {
    @Override
    public Validator validator(JsonSchema schema) {
      Validator validator = validators.get(schema);
      return validator != null ? validator : delegate.validator(schema);
    }

    @Override
    public SchemaRepository dereference(JsonSchema schema) throws SchemaException {
      return delegate.dereference(schema);
    }

    @Override
    public SchemaRepository dereference(String uri, JsonSchema schema) throws SchemaException {
      return delegate.dereference(uri, schema);
    }

    @Override
    public SchemaRepository preloadMetaSchema(FileSystem fs) {
      return delegate.preloadMetaSchema(fs);
    }

    @Override
    public SchemaRepository preloadMetaSchema(FileSystem fs, Draft draft) {
      return delegate.preloadMetaSchema(fs, draft);
    }

    @Override
    public Validator validator(String ref) {
      return delegate.validator(ref);
    }

    @Override
    public Validator validator(String ref, JsonSchemaOptions options) {
      return delegate.validator(ref, options);
    }

    @Override
    public Validator validator(JsonSchema schema, JsonSchemaOptions options, boolean dereference) {
      return delegate.validator(schema, options, dereference);
    }

    @Override
    public JsonObject resolve(JsonObject schema) {
      return delegate.resolve(schema);
    }

    @Override
    public JsonSchema find(String pointer) {
      return delegate.find(pointer);
    }
  }

  /** The contract itself, unchanged but for its schema repository. */
  private record Contract(OpenAPIContract delegate, SchemaRepository repository) implements OpenAPIContract {
    @Override
    public SchemaRepository getSchemaRepository() {
      return repository;
    }

    @Override
    public Operation operation(String operationId) {
      return delegate.operation(operationId);
    }

    @Override
    public List<Operation> operations() {
      return delegate.operations();
    }

    @Override
    public List<Path> getPaths() {
      return delegate.getPaths();
    }

    @Override
    public JsonObject getRawContract() {
      return delegate.getRawContract();
    }

    @Override
    public OpenAPIVersion getVersion() {
      return delegate.getVersion();
    }

    @Override
    public List<Server> getServers() {
      return delegate.getServers();
    }

    @Override
    public Path findPath(String path) {
      return delegate.findPath(path);
    }

    @Override
    public Operation findOperation(String path, HttpMethod method) {
      return delegate.findOperation(path, method);
    }

    @Override
    public List<SecurityRequirement> getSecurityRequirements() {
      return delegate.getSecurityRequirements();
    }

    @Override
    public SecurityScheme securityScheme(String name) {
      return delegate.securityScheme(name);
    }
  }
}
