package io.github.vertxsaga.platform.http;

/** A refusal the client can act on: becomes a problem+json body with this status and detail. */
public final class ApiException extends RuntimeException {
  private final int status;

  public ApiException(int status, String detail) {
    super(detail, null, false, false);
    this.status = status;
  }

  public static ApiException badRequest(String detail) {
    return new ApiException(400, detail);
  }

  public static ApiException notFound(String detail) {
    return new ApiException(404, detail);
  }

  public static ApiException conflict(String detail) {
    return new ApiException(409, detail);
  }

  public int status() {
    return status;
  }
}
