/** Reviewer screen: a deliberate placeholder until approvals can be signed. */
export function Bundles() {
  return (
    <div className="screen">
      <header className="screen-head">
        <h1>Bundles</h1>
      </header>
      <section className="panel notice" data-testid="review-placeholder">
        <h2>Review arrives with signatures</h2>
        <p>
          Approving a bundle means signing its manifest digest with a reviewer key, and Ferry cannot sign yet. Until it
          can, this screen offers no approve or reject action, rather than one that would prove nothing.
        </p>
        <p className="muted">
          Meanwhile, a bundle's creation and verification are recorded in the Custody log.
        </p>
      </section>
    </div>
  );
}
