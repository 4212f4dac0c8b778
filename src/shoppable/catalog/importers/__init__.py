"""Product importers: parse Shopify and WooCommerce exports into neutral records, streamed row by row."""
