/** The dev server the project starts has our search attributes registered (same code path as the local stack). */
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { useTestStack } from '../support/harness';

describe('Temporal dev server', () => {
  const stack = useTestStack({ worker: false });

  it('registers every custom search attribute', async () => {
    const res = await stack.client.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    const custom = Object.keys(res.customAttributes ?? {});
    for (const sa of ALL_SEARCH_ATTRIBUTES) expect(custom).toContain(sa.name);
  });
});
