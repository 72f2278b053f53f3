/** A product as the service stores and returns it. */
export interface Product {
  id: string;
  name: string;
  priceCents: number;
}

/**
 * Stands in for the slow source of truth a cache protects (a database, another service). It counts
 * its loads, so the spec can tell a cache hit from a miss by more than a header.
 */
export class Catalog {
  private readonly products = new Map<string, Product>();
  private loadCount = 0;

  /** @param delayMs how long each load takes, to make a miss visibly slower than a hit. */
  constructor(
    products: readonly Product[],
    private readonly delayMs = 0,
  ) {
    for (const product of products) this.products.set(product.id, { ...product });
  }

  /** Loads that reached the catalog, that is cache misses. */
  get loads(): number {
    return this.loadCount;
  }

  async find(id: string): Promise<Product | null> {
    this.loadCount++;
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const product = this.products.get(id);
    return product === undefined ? null : { ...product };
  }

  /** Returns false when there is no such product. */
  update(id: string, changes: { name?: string; priceCents?: number }): boolean {
    const product = this.products.get(id);
    if (product === undefined) return false;
    if (changes.name !== undefined) product.name = changes.name;
    if (changes.priceCents !== undefined) product.priceCents = changes.priceCents;
    return true;
  }
}

export const SAMPLE_PRODUCTS: readonly Product[] = [
  { id: '1', name: 'Espresso cup', priceCents: 900 },
  { id: '2', name: 'Pour-over kettle', priceCents: 4500 },
  { id: '3', name: 'Burr grinder', priceCents: 12900 },
];
