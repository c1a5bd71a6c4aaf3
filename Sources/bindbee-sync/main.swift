import BindbeeSync
print(ModelCatalog.shared.models.count)
