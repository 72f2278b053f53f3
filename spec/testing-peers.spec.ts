/**
 * respline/testing loads its optional peers (ioredis-mock, which itself loads ioredis) only when an
 * EmbeddedServer is built. spec/package-consumer.spec.ts proves it on a real install without them; here
 * the failures a real install can produce are simulated one by one, in a fresh module registry each.
 */
import type * as Testing from '../lib/testing';

function moduleNotFound(specifier: string): Error {
  return Object.assign(
    new Error(`Cannot find module '${specifier}'\nRequire stack:\n- /somewhere/index.js`),
    {
      code: 'MODULE_NOT_FOUND',
    },
  );
}

/** lib/testing loaded afresh with `ioredis-mock` replaced by a module whose loading throws `error`. */
function testingKitWhere(error: Error): typeof Testing {
  let kit: typeof Testing | undefined;
  jest.isolateModules(() => {
    jest.doMock('ioredis-mock', () => {
      throw error;
    });
    kit = jest.requireActual<typeof Testing>('../lib/testing');
  });
  if (kit === undefined) throw new Error('lib/testing did not load');
  return kit;
}

function constructionError(kit: typeof Testing): unknown {
  try {
    new kit.EmbeddedServer();
  } catch (error) {
    return error;
  }
  return undefined;
}

afterEach(() => {
  jest.dontMock('ioredis-mock');
});

describe('respline/testing without its optional peers', () => {
  it('imports, and FaultProxy constructs, when ioredis-mock is missing', () => {
    const kit = testingKitWhere(moduleNotFound('ioredis-mock'));
    const proxy = new kit.FaultProxy({ host: '127.0.0.1', port: 1 });
    expect(proxy).toBeInstanceOf(kit.FaultProxy);
  });

  it('names ioredis-mock and the install command when it is missing', () => {
    const kit = testingKitWhere(moduleNotFound('ioredis-mock'));
    const error = constructionError(kit);
    expect(error).toBeInstanceOf(kit.MissingPeerDependencyError);
    expect(error).toMatchObject({
      name: 'MissingPeerDependencyError',
      packageName: 'ioredis-mock',
      installCommand: 'npm install --save-dev ioredis-mock ioredis@5',
      message:
        "respline/testing's EmbeddedServer needs the optional peer dependencies ioredis-mock and ioredis 5, " +
        'and ioredis-mock could not be loaded. Install them with: npm install --save-dev ioredis-mock ioredis@5',
    });
  });

  it('names ioredis when ioredis-mock is there but its own peer is not', () => {
    const missing = moduleNotFound('ioredis/built/utils/index');
    const error = constructionError(testingKitWhere(missing));
    expect(error).toMatchObject({ packageName: 'ioredis', cause: missing });
  });

  it('passes any other loading failure through unchanged', () => {
    const broken = new SyntaxError('Unexpected token');
    expect(constructionError(testingKitWhere(broken))).toBe(broken);
  });
});
