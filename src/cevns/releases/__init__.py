"""The official data releases (COHERENT, XENONnT): their files, loaders and likelihoods.

One module per release (:data:`RELEASE_MODULES`), each defining ``RELEASE``, a
:class:`cevns.releases.registry.DataRelease` (files with SHA-256, loader, likelihood):

* :mod:`cevns.releases.csi_2017` — CsI[Na] 2017 (Science 357, 1123 (2017), arXiv:1708.01294).
* :mod:`cevns.releases.lar_2020` — CENNS-10 LAr, Analysis A (PRL 126, 012002 (2021),
  arXiv:2003.10630).
* :mod:`cevns.releases.csi_2021` — CsI[Na] full data set (PRL 129, 081801 (2022),
  arXiv:2110.07730).
* :mod:`cevns.releases.xenonnt_8b` — XENONnT solar ⁸B CEvNS search, SR0–SR2 (PRL 133, 191002
  (2024), arXiv:2408.02877; arXiv:2604.06002), with :mod:`cevns.releases.xenonnt_templates`.

:mod:`cevns.releases.combinations` reads combination files (joint fits of releases,
experiments and arrays with shared nuisances, :mod:`cevns.stats.joint`; shipped ones in
``cevns/data/combinations``).

:mod:`cevns.releases.registry` finds them (imported lazily, the first time it is asked),
:mod:`cevns.releases.files` verifies and fetches their files, :mod:`cevns.releases.reading`
reads them. To add a release: write its module, add its name below, add its test.
"""

#: Modules of the shipped releases (``cevns.releases.<name>``), in registry order.
RELEASE_MODULES: tuple[str, ...] = ("csi_2017", "lar_2020", "csi_2021", "xenonnt_8b")
