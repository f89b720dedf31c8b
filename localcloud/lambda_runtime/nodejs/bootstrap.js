'use strict';
/*
 * The local cloud's Node.js runtime client: what Lambda's Node.js runtime does in one execution
 * environment, on the documented Runtime API (AWS_LAMBDA_RUNTIME_API) and nothing else.
 *
 *   node bootstrap.js [--loopback-443=PORT]      (the handler comes from _HANDLER)
 *
 * Init loads the handler named by _HANDLER under LAMBDA_TASK_ROOT, then invocations are taken one
 * at a time from /runtime/invocation/next and answered at .../response or .../error; an Init
 * failure is posted to /runtime/init/error and ends the process. console writes Lambda's lines
 * (`<ISO time>\t<request id>\t<LEVEL>\t<message>`). nodejs18.x to nodejs22.x keep Lambda's callback
 * model (callback handlers, callbackWaitsForEmptyEventLoop); nodejs24.x, as Lambda's, refuses
 * callback handlers and answers what the handler returns.
 *
 * Dependency-free CommonJS, so that it runs on any Node.js the venv brings and needs no install.
 */

const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const Module = require('node:module');
const path = require('node:path');
const util = require('node:util');
const { pathToFileURL } = require('node:url');

const API_PREFIX = '/2018-06-01/runtime';
const ERROR_TYPE_HEADER = 'Lambda-Runtime-Function-Error-Type';
const LOOPBACK_443_OPTION = '--loopback-443=';
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost']);
// Lambda's runtime client exits with these after reporting an uncaught exception or an unhandled
// rejection; the environment is then started anew
const EXIT_UNCAUGHT = 129;
const EXIT_UNHANDLED_REJECTION = 128;
const NODE_MAJOR = Number((/^AWS_Lambda_nodejs(\d+)/.exec(process.env.AWS_EXECUTION_ENV || '') || [])[1] || 24);
const CALLBACK_MODEL = NODE_MAJOR < 24;

// --- errors, in Lambda's names and shapes -------------------------------------------------------

function runtimeError(name) {
  const type = class extends Error {};
  type.prototype.name = `Runtime.${name}`;
  return type;
}

const ImportModuleError = runtimeError('ImportModuleError');
const HandlerNotFound = runtimeError('HandlerNotFound');
const MalformedHandlerName = runtimeError('MalformedHandlerName');
const UserCodeSyntaxError = runtimeError('UserCodeSyntaxError');
const CallbackHandlerDeprecated = runtimeError('CallbackHandlerDeprecated');
const UnhandledPromiseRejection = runtimeError('UnhandledPromiseRejection');
const NodeJsExit = runtimeError('NodeJsExit');
const JSONStringifyError = runtimeError('JSONStringifyError');

function isError(value) {
  return (
    util.types.isNativeError(value) ||
    (value !== null &&
      typeof value === 'object' &&
      typeof value.name === 'string' &&
      typeof value.message === 'string' &&
      typeof value.stack === 'string')
  );
}

/** The error as the Runtime API takes it: {errorType, errorMessage, trace}. */
function errorBody(error) {
  try {
    if (isError(error)) {
      return { errorType: error.name, errorMessage: error.message, trace: error.stack.split('\n') };
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage: 'the error could not be read: its message, name or stack failed',
      trace: [],
    };
  }
}

/** The error as Lambda logs it: a tab, then JSON with its own properties and the stack as lines. */
function loggedError(error) {
  const expand = (_key, value) => {
    if (!(value instanceof Error)) return value;
    const fields = { errorType: value.name, errorMessage: value.message, code: value.code, ...value };
    if (typeof value.stack === 'string') fields.stack = value.stack.split('\n');
    return fields;
  };
  try {
    return '\t' + JSON.stringify(error, expand);
  } catch {
    return '\t' + JSON.stringify(errorBody(error));
  }
}

// --- console, as Lambda's Node.js runtime writes it ---------------------------------------------

let currentRequestId; // undefined outside an invocation, and Lambda prints it so during Init

function writeLine(level, message) {
  // one line per call: a message's own newlines become carriage returns, as Lambda writes them,
  // so that it stays one log event. Writes to a pipe are synchronous: a line is in the pipe before
  // the invocation's answer is posted.
  const text = message.replace(/\n/g, '\r');
  process.stdout.write(`${new Date().toISOString()}\t${currentRequestId}\t${level}\t${text}\n`);
}

function patchConsole() {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
  for (const [method, level] of Object.entries(levels)) {
    console[method] = (...args) => writeLine(level, util.format(...args));
  }
  console.fatal = (...args) => writeLine('FATAL', util.format(...args));
}

function logError(title, error) {
  console.error(title, loggedError(error));
}

// --- the Runtime API ----------------------------------------------------------------------------

class RuntimeApi {
  constructor(address) {
    const at = address.lastIndexOf(':');
    this.host = address.slice(0, at);
    this.port = Number(address.slice(at + 1));
    // one kept-alive connection; an idle pooled socket does not hold the event loop open
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  }

  call(method, route, body, headers = {}) {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(body);
      const request = http.request(
        {
          host: this.host,
          port: this.port,
          path: API_PREFIX + route,
          method,
          agent: this.agent,
          headers: payload ? { ...headers, 'Content-Length': payload.length } : headers,
        },
        (response) => {
          const chunks = [];
          response.on('data', (chunk) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) }),
          );
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(payload);
    });
  }

  async next() {
    const { status, headers, body } = await this.call('GET', '/invocation/next');
    if (status !== 200) throw new Error(`the Runtime API answered ${status} for the next invocation`);
    return { headers, event: JSON.parse(body.toString('utf8')) };
  }

  respond(requestId, body) {
    return this.call('POST', `/invocation/${requestId}/response`, body, { 'Content-Type': 'application/json' });
  }

  fail(requestId, error) {
    const body = errorBody(error);
    return this.call('POST', `/invocation/${requestId}/error`, JSON.stringify(body), {
      'Content-Type': 'application/json',
      [ERROR_TYPE_HEADER]: body.errorType,
    });
  }

  failInit(error) {
    const body = errorBody(error);
    return this.call('POST', '/init/error', JSON.stringify(body), {
      'Content-Type': 'application/json',
      [ERROR_TYPE_HEADER]: body.errorType,
    });
  }
}

// --- the handler, found as Lambda finds it ------------------------------------------------------

function isTypeModule(directory) {
  // the nearest package.json decides whether a .js file is an ES module; a node_modules folder
  // ends the search
  for (let folder = directory; ; folder = path.dirname(folder)) {
    if (folder.endsWith(`${path.sep}node_modules`)) return false;
    const manifest = path.join(folder, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        return JSON.parse(fs.readFileSync(manifest, 'utf8')).type === 'module';
      } catch {
        return false;
      }
    }
    if (folder === path.dirname(folder)) return false;
  }
}

async function importFile(file) {
  return import(pathToFileURL(file).href);
}

async function loadModule(taskRoot, moduleRoot, moduleName) {
  const base = path.resolve(taskRoot, moduleRoot, moduleName);
  try {
    if (fs.existsSync(base)) return require(base);
    if (fs.existsSync(`${base}.js`)) {
      return isTypeModule(path.dirname(base)) ? await importFile(`${base}.js`) : require(`${base}.js`);
    }
    if (fs.existsSync(`${base}.mjs`)) return await importFile(`${base}.mjs`);
    if (fs.existsSync(`${base}.cjs`)) return require(`${base}.cjs`);
    // a module name resolved as Node.js would from the task root (a package in its node_modules)
    return require(require.resolve(moduleName, { paths: [taskRoot, path.join(taskRoot, moduleRoot)] }));
  } catch (error) {
    if (error instanceof SyntaxError) {
      const wrapped = new UserCodeSyntaxError(String(error));
      wrapped.stack = error.stack;
      throw wrapped;
    }
    if (error && error.code === 'MODULE_NOT_FOUND') throw new ImportModuleError(String(error));
    throw error;
  }
}

function member(object, names) {
  return names.reduce((found, name) => (found !== null && found !== undefined ? found[name] : undefined), object);
}

async function loadHandler(taskRoot, handlerString) {
  if (handlerString.includes('..')) {
    throw new MalformedHandlerName(
      `'${handlerString}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const file = path.basename(handlerString);
  const moduleRoot = handlerString.slice(0, handlerString.length - file.length);
  const match = /^([^.]*)\.(.*)$/.exec(file);
  if (!match) throw new MalformedHandlerName('Bad handler');
  const [, moduleName, handlerPath] = match;
  const loaded = await loadModule(taskRoot, moduleRoot, moduleName);
  const names = handlerPath.split('.');
  let handler = member(loaded, names);
  if (handler === undefined && loaded && typeof loaded === 'object' && 'default' in loaded) {
    handler = member(loaded.default, names);
  }
  if (!handler) throw new HandlerNotFound(`${handlerString} is undefined or not exported`);
  if (typeof handler !== 'function') throw new HandlerNotFound(`${handlerString} is not a function`);
  if (!CALLBACK_MODEL && handler.length >= 3) {
    throw new CallbackHandlerDeprecated(
      'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. ' +
        'You need to modify this function to use a supported handler signature to use Node.js 24 or later. ' +
        'For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.',
    );
  }
  return handler;
}

// --- module resolution, as Lambda's runtime has it ----------------------------------------------

function sdkForModules(runtimeDir) {
  // NODE_PATH (ending in the runtime's node_modules) serves require(); ES modules ignore it, and
  // Lambda's runtimes still let `import ... from "@aws-sdk/client-s3"` find the SDK they ship: a
  // bare specifier nothing else resolves is resolved from the runtime's folder.
  if (typeof Module.registerHooks !== 'function') return;
  const anchor = pathToFileURL(path.join(runtimeDir, 'bootstrap.js')).href;
  Module.registerHooks({
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context);
      } catch (error) {
        const bare = !/^(\.|\/|[a-zA-Z][a-zA-Z\d+.-]*:)/.test(specifier);
        if (!error || error.code !== 'ERR_MODULE_NOT_FOUND' || !bare || context.parentURL === anchor) throw error;
        try {
          return nextResolve(specifier, { ...context, parentURL: anchor });
        } catch {
          throw error;
        }
      }
    },
  });
}

// --- HTTPS to loopback's port 443 ---------------------------------------------------------------

function redirectLoopback443(port) {
  // aws-cdk-lib's custom resource handlers PUT their answer with https.request({hostname, path}),
  // which drops the ResponseURL's port: to 443, which nothing unprivileged can listen on. Such a
  // request to loopback goes to `port` instead: TLS still, the same host name (so the same SNI).
  const needed = (host, requested) =>
    LOOPBACK_HOSTS.has(host) && (requested === undefined || requested === null || requested === '' || Number(requested) === 443);
  const moved = (args) => {
    const [first, second, ...rest] = args;
    const options = second && typeof second === 'object' && !(second instanceof URL) ? second : undefined;
    if (typeof first === 'string' || first instanceof URL) {
      let url;
      try {
        url = new URL(first);
      } catch {
        return args; // not a URL: the request fails as it would have
      }
      const host = options ? (options.hostname ?? options.host ?? url.hostname) : url.hostname;
      const requested = options && options.port !== undefined ? options.port : url.port;
      if (!needed(host, requested)) return args;
      if (options) return [first, { ...options, port }, ...rest];
      url = new URL(url.href);
      url.port = String(port);
      return [url, second, ...rest];
    }
    if (first && typeof first === 'object') {
      const host = first.hostname ?? first.host ?? 'localhost';
      if (!needed(host, first.port ?? first.defaultPort)) return args;
      return [{ ...first, port }, second, ...rest];
    }
    return args;
  };
  const { request, get } = https;
  https.request = function (...args) {
    return request.apply(this, moved(args));
  };
  https.get = function (...args) {
    return get.apply(this, moved(args));
  };
  Module.syncBuiltinESMExports(); // `import { request } from "node:https"` sees them too
}

// --- one invocation after another -----------------------------------------------------------------

class Runtime {
  constructor(api, handler) {
    this.api = api;
    this.handler = handler;
    this.requestId = undefined; // the invocation running, until it is answered
    this.lastRequestId = undefined;
    this.onEmptyLoop = null; // what the invocation does when the event loop empties
    process.on('beforeExit', () => {
      const action = this.onEmptyLoop;
      this.onEmptyLoop = null;
      if (action) action();
    });
  }

  scheduleNext() {
    setImmediate(() => this.takeOne().catch((error) => this.crash(error, EXIT_UNCAUGHT)));
  }

  async takeOne() {
    const { headers, event } = await this.api.next();
    const requestId = headers['lambda-runtime-aws-request-id'];
    const deadline = Number(headers['lambda-runtime-deadline-ms']);
    this.requestId = this.lastRequestId = currentRequestId = requestId;
    if (headers['lambda-runtime-trace-id']) process.env._X_AMZN_TRACE_ID = headers['lambda-runtime-trace-id'];
    else delete process.env._X_AMZN_TRACE_ID;

    let answered = false;
    const answer = (post) => {
      if (answered) return;
      answered = true;
      this.onEmptyLoop = null;
      this.requestId = undefined;
      post().then(
        () => this.scheduleNext(),
        (error) => this.crash(error, EXIT_UNCAUGHT),
      );
    };
    const succeed = (result) => {
      let body;
      try {
        body = JSON.stringify(result);
      } catch (error) {
        const failure = new JSONStringifyError('Unable to stringify response body');
        logError('Invoke Error', failure);
        answer(() => this.api.fail(requestId, failure));
        return;
      }
      answer(() => this.api.respond(requestId, body === undefined ? 'null' : body));
    };
    const fail = (error) => {
      if (answered) return;
      logError('Invoke Error', error);
      answer(() => this.api.fail(requestId, error));
    };
    const neverSettled = () =>
      fail(
        new NodeJsExit(
          'The Lambda runtime client detected an unexpected Node.js exit code. ' +
            'This is most commonly caused by a Promise that was never settled.',
        ),
      );

    const { context, callback } = this.context(headers, deadline, succeed, fail);
    const isAsync = this.handler.constructor && this.handler.constructor.name === 'AsyncFunction';
    // what Lambda does once nothing is left to run and the handler has not answered: a promise that
    // never settled is an error; a callback handler that never called back answers null
    this.onEmptyLoop = CALLBACK_MODEL && !isAsync ? () => succeed(null) : neverSettled;
    try {
      const result = CALLBACK_MODEL ? this.handler(event, context, callback) : this.handler(event, context);
      if (result && typeof result.then === 'function') result.then(succeed, fail);
      else if (!CALLBACK_MODEL) succeed(result);
    } catch (error) {
      fail(error);
    }
  }

  context(headers, deadline, succeed, fail) {
    let waitForEmptyLoop = true;
    let called = false;
    const once =
      (fn) =>
      (...args) => {
        if (called) return;
        called = true;
        fn(...args);
      };
    const done = (error, result) => (error !== undefined && error !== null ? fail(error) : succeed(result));
    const callback = once((error, result) => {
      if (error !== undefined && error !== null) fail(error);
      else if (!waitForEmptyLoop) succeed(result);
      else this.onEmptyLoop = () => setImmediate(() => succeed(result));
    });
    const json = (name) => (headers[name] ? JSON.parse(headers[name]) : undefined);
    const env = process.env;
    const context = {
      get callbackWaitsForEmptyEventLoop() {
        return waitForEmptyLoop;
      },
      set callbackWaitsForEmptyEventLoop(value) {
        waitForEmptyLoop = value;
      },
      functionName: env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
      memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
      invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
      awsRequestId: headers['lambda-runtime-aws-request-id'],
      clientContext: json('lambda-runtime-client-context'),
      identity: json('lambda-runtime-cognito-identity'),
      getRemainingTimeInMillis: () => deadline - Date.now(),
    };
    if (CALLBACK_MODEL) {
      context.done = once(done);
      context.succeed = once((result) => done(null, result));
      context.fail = once((error) => done(error === undefined || error === null ? 'handled' : error, null));
    }
    return { context, callback };
  }

  crash(error, code) {
    // an error nothing caught: reported against the invocation running (between two, against the
    // last one, which the Runtime API refuses; before the first, as Init's), then the process
    // ends, as Lambda's runtime ends it
    const requestId = this.requestId || this.lastRequestId;
    this.requestId = undefined;
    const post = requestId ? this.api.fail(requestId, error) : this.api.failInit(error);
    post.catch(() => {}).finally(() => process.exit(code));
  }
}

async function main() {
  const argv = process.argv;
  const option = argv.findIndex((arg) => arg.startsWith(LOOPBACK_443_OPTION));
  const loopbackPort = option >= 0 ? Number(argv[option].slice(LOOPBACK_443_OPTION.length)) : 0;
  if (option >= 0) argv.splice(option, 1); // the function sees `node bootstrap.js`, as nothing of ours

  patchConsole();
  const api = new RuntimeApi(process.env.AWS_LAMBDA_RUNTIME_API);
  let runtime = null;
  const crash = (error, code) => {
    if (runtime) runtime.crash(error, code);
    else api.failInit(error).catch(() => {}).finally(() => process.exit(code));
  };
  process.on('uncaughtException', (error) => {
    logError('Uncaught Exception', error);
    crash(error, EXIT_UNCAUGHT);
  });
  process.on('unhandledRejection', (reason) => {
    const error = new UnhandledPromiseRejection(reason === undefined || reason === null ? String(reason) : reason.toString());
    logError('Unhandled Promise Rejection', error);
    crash(error, EXIT_UNHANDLED_REJECTION);
  });

  sdkForModules(process.env.LAMBDA_RUNTIME_DIR || __dirname);
  if (loopbackPort) redirectLoopback443(loopbackPort);
  let handler;
  try {
    handler = await loadHandler(process.env.LAMBDA_TASK_ROOT || process.cwd(), process.env._HANDLER || '');
  } catch (error) {
    logError('Uncaught Exception', error);
    crash(error, EXIT_UNCAUGHT);
    return;
  }
  runtime = new Runtime(api, handler);
  runtime.scheduleNext();
}

main();
