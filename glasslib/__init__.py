"""glasslib: Generative Learning of Amorphous Structures from Spectra.

Modules follow the data flow (see README): structures -> geometry -> histogram ->
rdf / angles / scattering / measured -> (simulate, training, guidance, sampling,
analysis, metrics) -> plotting. Import submodules directly, e.g.
``from glasslib.rdf import pair_distribution``.
"""

__version__ = "0.1.0"
