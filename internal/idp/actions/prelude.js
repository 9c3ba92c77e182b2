// Postgate Actions prelude: the parts of node-fetch v2 and axios that are
// written in JavaScript on top of Postgate's Go fetch. It evaluates to a
// function that receives fetch and returns the modules.
(function (fetch) {
  'use strict';

  class Headers {
    constructor(init) {
      this._map = new Map();
      if (init == null) return;
      if (typeof init.forEach === 'function' && !Array.isArray(init)) {
        init.forEach((value, name) => this.append(name, value));
      } else if (Array.isArray(init)) {
        for (const [name, value] of init) this.append(name, value);
      } else {
        for (const name of Object.keys(init)) this.append(name, init[name]);
      }
    }
    append(name, value) {
      const key = String(name).toLowerCase();
      const prev = this._map.get(key);
      this._map.set(key, prev === undefined ? String(value) : prev + ', ' + String(value));
    }
    set(name, value) { this._map.set(String(name).toLowerCase(), String(value)); }
    get(name) { const v = this._map.get(String(name).toLowerCase()); return v === undefined ? null : v; }
    has(name) { return this._map.has(String(name).toLowerCase()); }
    delete(name) { this._map.delete(String(name).toLowerCase()); }
    forEach(callback, thisArg) { for (const [name, value] of this._map) callback.call(thisArg, value, name, this); }
    keys() { return this._map.keys(); }
    values() { return this._map.values(); }
    entries() { return this._map.entries(); }
    [Symbol.iterator]() { return this._map.entries(); }
    raw() { const out = {}; for (const [name, value] of this._map) out[name] = [value]; return out; }
  }

  function plainHeaders(h) {
    const out = {};
    if (h && typeof h.forEach === 'function') h.forEach((value, name) => { out[String(name).toLowerCase()] = value; });
    return out;
  }

  function hasHeader(headers, name) {
    return Object.keys(headers).some((k) => k.toLowerCase() === name);
  }

  function axiosError(message, code, config, response) {
    const err = new Error(message);
    err.name = 'AxiosError';
    err.code = code;
    err.config = config;
    err.response = response;
    err.isAxiosError = true;
    err.toJSON = () => ({ message, name: 'AxiosError', code, status: response ? response.status : undefined });
    return err;
  }

  function makeAxios(defaults) {
    defaults = defaults || {};
    async function request(configOrUrl, maybeConfig) {
      let config = typeof configOrUrl === 'string' ? Object.assign({}, maybeConfig, { url: configOrUrl }) : Object.assign({}, configOrUrl);
      config = Object.assign({}, defaults, config, { headers: Object.assign({}, defaults.headers, config.headers) });
      const method = String(config.method || 'get').toUpperCase();
      let url = String(config.url || '');
      if (config.baseURL && !/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
        url = String(config.baseURL).replace(/\/+$/, '') + '/' + url.replace(/^\/+/, '');
      }
      if (config.params) {
        const qs = new URLSearchParams(config.params).toString();
        if (qs) url += (url.indexOf('?') >= 0 ? '&' : '?') + qs;
      }
      const headers = config.headers;
      let body = config.data;
      if (body != null && typeof body === 'object' && !(body instanceof URLSearchParams) &&
          !(body instanceof ArrayBuffer) && !ArrayBuffer.isView(body)) {
        body = JSON.stringify(body);
        if (!hasHeader(headers, 'content-type')) headers['Content-Type'] = 'application/json';
      }
      if (!hasHeader(headers, 'accept')) headers['Accept'] = 'application/json, text/plain, */*';
      let res;
      try {
        res = await fetch(url, { method, headers, body, timeout: config.timeout });
      } catch (e) {
        throw axiosError(e.message, e.type === 'request-timeout' ? 'ECONNABORTED' : 'ERR_NETWORK', config, undefined);
      }
      const text = await res.text();
      let data = text;
      if (config.responseType !== 'text' && text !== '') {
        try { data = JSON.parse(text); } catch (e) { data = text; }
      }
      const response = { data, status: res.status, statusText: res.statusText, headers: plainHeaders(res.headers), config, request: {} };
      const validate = typeof config.validateStatus === 'function' ? config.validateStatus : (s) => s >= 200 && s < 300;
      if (!validate(res.status)) {
        throw axiosError('Request failed with status code ' + res.status, res.status >= 500 ? 'ERR_BAD_RESPONSE' : 'ERR_BAD_REQUEST', config, response);
      }
      return response;
    }
    const axios = (configOrUrl, config) => request(configOrUrl, config);
    axios.request = request;
    for (const m of ['get', 'delete', 'head', 'options']) {
      axios[m] = (url, config) => request(Object.assign({}, config, { url, method: m }));
    }
    for (const m of ['post', 'put', 'patch']) {
      axios[m] = (url, data, config) => request(Object.assign({}, config, { url, method: m, data }));
    }
    axios.defaults = defaults;
    axios.create = (more) => makeAxios(Object.assign({}, defaults, more, { headers: Object.assign({}, defaults.headers, more && more.headers) }));
    axios.isAxiosError = (e) => !!(e && e.isAxiosError);
    axios.default = axios;
    return axios;
  }

  return { Headers, axios: makeAxios() };
})
