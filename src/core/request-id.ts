/**
 * What a client- or proxy-sent `X-Request-Id` must look like to be kept (otherwise a
 * fresh UUID is used). The gateway and the API node apply the same rule, so an id the
 * gateway passes on is one the node accepts, and one id follows a request end to end.
 * Short and of a few safe characters because it is forwarded as a header and written
 * into log lines and error bodies: no spaces, quotes or control characters to break
 * or forge any of them.
 */
export const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
