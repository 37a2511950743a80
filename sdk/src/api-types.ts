/**
 * Generated from the server's OpenAPI document (GET /v1/openapi.json) by
 * sdk/scripts/api-types.mts. Do not edit: regenerate it from a running server.
 * One entry per route, keyed "METHOD /path" as in the document.
 */
export interface ApiRoutes {
  'GET /v1/openapi.json': {
    body: undefined;
    query: undefined;
    response: Record<string, unknown>;
  };
  'GET /healthz': {
    body: undefined;
    query: undefined;
    response: void;
  };
  'GET /readyz': {
    body: undefined;
    query: undefined;
    response: void;
  };
  'GET /metrics': {
    body: undefined;
    query: undefined;
    response: void;
  };
  'POST /v1/auth/login': {
    body: {
      code: string;
    };
    query: undefined;
    response: {
      token: string;
      openid: string;
      expiresAt: string;
    };
  };
  'POST /v1/auth/logout': {
    body: undefined;
    query: undefined;
    response: void;
  };
  'GET /v1/me/kv/{key}': {
    body: undefined;
    query: undefined;
    response: {
      key: string;
      value: unknown;
      version: number;
      expiresAt: string | null;
    };
  };
  'PUT /v1/me/kv/{key}': {
    body: {
      value: unknown;
      ttl?: number;
    };
    query: undefined;
    response: {
      key: string;
      value: unknown;
      version: number;
      expiresAt: string | null;
    };
  };
  'DELETE /v1/me/kv/{key}': {
    body: undefined;
    query: undefined;
    response: void;
  };
  'GET /v1/kv/{key}': {
    body: undefined;
    query: undefined;
    response: {
      key: string;
      value: unknown;
      version: number;
      expiresAt: string | null;
    };
  };
  'GET /v1/admin/kv/{key}': {
    body: undefined;
    query: undefined;
    response: {
      key: string;
      value: unknown;
      version: number;
      expiresAt: string | null;
    };
  };
  'PUT /v1/admin/kv/{key}': {
    body: {
      value: unknown;
      ttl?: number;
    };
    query: undefined;
    response: {
      key: string;
      value: unknown;
      version: number;
      expiresAt: string | null;
    };
  };
  'DELETE /v1/admin/kv/{key}': {
    body: undefined;
    query: undefined;
    response: void;
  };
  'POST /v1/counters/{name}': {
    body: {
      by?: number;
    };
    query: undefined;
    response: {
      name: string;
      value: number;
    };
  };
  'GET /v1/counters/{name}': {
    body: undefined;
    query: undefined;
    response: {
      name: string;
      value: number;
    };
  };
  'PUT /v1/leaderboards/{board}/me': {
    body: {
      score: number;
      mode?: "best" | "set";
    };
    query: undefined;
    response: {
      board: string;
      openid: string;
      score: number;
      rank: number;
    };
  };
  'GET /v1/leaderboards/{board}/me': {
    body: undefined;
    query: undefined;
    response: {
      board: string;
      openid: string;
      score: number;
      rank: number;
    };
  };
  'GET /v1/leaderboards/{board}': {
    body: undefined;
    query: {
      limit?: number;
    };
    response: {
      board: string;
      entries: Array<{
        rank: number;
        openid: string;
        score: number;
      }>;
    };
  };
  'GET /v1/admin/wechat/check': {
    body: undefined;
    query: undefined;
    response: {
      ok: boolean;
      callbackIps: number;
    };
  };
  'POST /v1/admin/wechat/subscribe-message': {
    body: {
      touser: string;
      template_id: string;
      page?: string;
      data: Record<string, {
        value: string;
      }>;
      miniprogram_state?: "developer" | "trial" | "formal";
    };
    query: undefined;
    response: {
      msgid: string;
    };
  };
  'POST /v1/me/phone': {
    body: {
      code: string;
    };
    query: undefined;
    response: {
      phoneNumber: string;
      purePhoneNumber: string;
      countryCode: string;
    };
  };
  'POST /v1/me/decrypt': {
    body: {
      encryptedData: string;
      iv: string;
      rawData?: string;
      signature?: string;
    };
    query: undefined;
    response: {
      data: Record<string, unknown>;
    };
  };
  'POST /v1/security/text': {
    body: {
      content: string;
      scene?: 1 | 2 | 3 | 4;
    };
    query: undefined;
    response: {
      suggest: "pass" | "review" | "risky";
      label: number;
    };
  };
  'GET /v1/wxacode': {
    body: undefined;
    query: {
      scene: string;
      page?: string;
      width?: number;
    };
    response: void;
  };
}
