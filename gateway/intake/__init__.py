"""Provider-code applications (spec/intake.md).

The way of an application::

    web form / mail drop / paper (CLI)
      -> applications.Applications   create, update data, attach documents, submit
         -> documents.check_document one verdict per file received (kept as received)
         -> dossier.Dossier          files under providers/applications/<reference>/
      -> report.build_report         intake report: kinds, files, data checks, verdict
      -> decisions                   request correction, refuse, approve (codes.allocate_code)
      -> notify                      messages to the applicant (SMTP or .eml files)
      -> retention.purge_intake      documents and reports deleted two years after close
"""
